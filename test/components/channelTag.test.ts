import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    assertRejects,
    promiseOf,
    recorded,
    registrationOf,
    registrations,
    resetRecorded,
    setMocks,
    settle,
} from "../helpers/mocks";
import { LOCAL, pushTestImage, TestImage, uniqueRepo } from "../fixtures/registry/testImage";
import type { ChannelTag as ChannelTagT } from "../../src/components/channelTag";
import { registryTagProvider, RegistryTagInputs } from "../../src/providers";
import { RegistryClient } from "../../src/registry";

const REPO = "127.0.0.1:5000/image-release/hello";

/** Stands in for the Deployment a ChannelTag is made to wait for. */
class Gate extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Gate", name, {});
    }
}
const D = "sha256:" + "0123456789abcdef".repeat(4);

describe("components/ChannelTag", () => {
    let ChannelTag: typeof ChannelTagT;
    before(async () => {
        await setMocks("prod");
        ({ ChannelTag } = await import("../../src/components/channelTag"));
    });
    beforeEach(resetRecorded);

    it("moves repo:<channel> to the digest and never deletes it", async () => {
        const t = new ChannelTag("hello-prod", { repository: REPO, channel: "prod", digest: D });
        assert.strictEqual(await promiseOf(t.ref), `${REPO}:prod`);
        await settle();
        const tags = recorded.filter((r) => r.type.includes(":dynamic:"));
        assert.strictEqual(tags.length, 1);
        assert.strictEqual(tags[0].name, "hello-prod-tag");
        // No force: a channel name can never be an immutable version or git- tag, so the registry's
        // immutability guard stays on as a second line of defence.
        assert.deepStrictEqual(tags[0].inputs, { repository: REPO, digest: D, tag: "prod" });
    });

    it("the retag waits for what the component depends on", async () => {
        const gate = new Gate("gate");
        new ChannelTag("hello-prod", { repository: REPO, channel: "prod", digest: D }, { dependsOn: [gate] });
        await settle();
        const gateUrn = "urn:pulumi:prod::image-release::test:index:Gate::gate";
        assert.strictEqual(registrationOf("gate").urn, gateUrn);
        assert.deepStrictEqual(registrationOf("hello-prod-tag").dependencies, [gateUrn]);
        assert.deepStrictEqual(
            registrations.map((r) => r.name),
            ["gate", "hello-prod", "hello-prod-tag"],
        );
    });

    it("sends registry credentials to the retag as a secret", async () => {
        new ChannelTag("hello-prod", {
            repository: REPO,
            channel: "prod",
            digest: D,
            credentials: { "127.0.0.1:5001": { username: "imagerelease", password: "p" } },
        });
        await settle();
        const [tag] = recorded.filter((r) => r.type.includes(":dynamic:"));
        assert.deepStrictEqual(tag.inputs, {
            repository: REPO,
            digest: D,
            tag: "prod",
            credentials: {
                [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
                value: { "127.0.0.1:5001": { username: "imagerelease", password: "p" } },
            },
        });
    });

    const bad: { name: string; channel: string; digest: string; message: string }[] = [
        {
            name: "a version tag as channel and a short digest",
            channel: "1.4.2",
            digest: "sha256:abc",
            message:
                'invalid arguments for ChannelTag "c":\n  channel: is not a channel name like "staging" (got "1.4.2")\n  digest: is a short digest (3 of 64 hex characters) (got "sha256:abc")',
        },
        {
            name: "a git- tag",
            channel: "git-0123abc",
            digest: D,
            message:
                'invalid arguments for ChannelTag "c":\n  channel: is not a channel name like "staging" (got "git-0123abc")',
        },
    ];
    for (const c of bad) {
        it(`refuses ${c.name}`, async () => {
            assert.throws(
                () => new ChannelTag("c", { repository: REPO, channel: c.channel, digest: c.digest }),
                (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.message === c.message,
            );
            await settle();
            assert.deepStrictEqual(
                recorded.filter((r) => r.type.includes(":dynamic:")),
                [],
            );
        });
    }

    it("refuses a bad channel given as an Output once it is known, and never retags", async () => {
        const t = new ChannelTag("c", { repository: REPO, channel: pulumi.output("1.4.2"), digest: D });
        const error = await assertRejects(
            t.ref,
            'invalid arguments for ChannelTag "c":\n  channel: is not a channel name like "staging" (got "1.4.2")',
            ["repository", "digest", "tag", "outputs"],
        );
        assert.strictEqual(pulumi.InputPropertiesError.isInstance(error), true);
        assert.deepStrictEqual(
            recorded.filter((r) => r.type.includes(":dynamic:")),
            [],
        );
    });
});

// The component's recorded inputs, applied by the real RegistryTag provider against the local registry:
// what `pulumi up` would do on promotion (create/update) and rollback (update back), and on destroy.
describe("components/ChannelTag against the local registry @integration", () => {
    let ChannelTag: typeof ChannelTagT;
    const repo = uniqueRepo(LOCAL, "channel");
    const client = new RegistryClient({});
    let one: TestImage;
    let two: TestImage;
    before(async () => {
        await setMocks("staging");
        ({ ChannelTag } = await import("../../src/components/channelTag"));
        one = await pushTestImage(client, repo, "one");
        two = await pushTestImage(client, repo, "two");
    });
    beforeEach(resetRecorded);

    async function tagInputs(digest: string): Promise<RegistryTagInputs> {
        new ChannelTag("hello-staging", { repository: repo, channel: "staging", digest });
        await settle();
        const [tag] = recorded.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        return tag.inputs as RegistryTagInputs;
    }

    it("promotion moves repo:staging forward, rollback moves it back, destroy leaves it", async () => {
        const first = await tagInputs(one.indexDigest);
        const created = await registryTagProvider.create(first);
        assert.strictEqual(created.id, `${repo}:staging`);
        assert.strictEqual((await client.headManifest(repo, "staging"))?.digest, one.indexDigest);

        resetRecorded();
        const promoted = await tagInputs(two.indexDigest);
        const diff = await registryTagProvider.diff!(created.id, created.outs, promoted);
        assert.deepStrictEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        const afterPromotion = await registryTagProvider.update!(created.id, created.outs, promoted);
        assert.strictEqual((await client.headManifest(repo, "staging"))?.digest, two.indexDigest);

        resetRecorded();
        const rolledBack = await tagInputs(one.indexDigest);
        await registryTagProvider.update!(created.id, afterPromotion.outs, rolledBack);
        assert.strictEqual((await client.headManifest(repo, "staging"))?.digest, one.indexDigest);

        await registryTagProvider.delete!(created.id, rolledBack);
        assert.strictEqual((await client.headManifest(repo, "staging"))?.digest, one.indexDigest);
        assert.strictEqual((await client.headManifest(repo, two.indexDigest))?.digest, two.indexDigest);
    });

    it("sourceRepository: copies the digest into the repository first, and the retag waits for the copy", async () => {
        const SOURCE = "127.0.0.1:5000/image-release/staging";
        new ChannelTag("hello-prod", {
            repository: REPO,
            channel: "prod",
            digest: D,
            sourceRepository: SOURCE,
        });
        await settle();
        assert.deepStrictEqual(
            recorded.filter((r) => r.type.includes(":dynamic:")).map((r) => [r.name, r.inputs]),
            [
                ["hello-prod-copy", { from: SOURCE, to: REPO, digest: D, tags: [] }],
                ["hello-prod-tag", { repository: REPO, digest: D, tag: "prod" }],
            ],
        );
        assert.deepStrictEqual(registrationOf("hello-prod-tag").dependencies, [
            registrationOf("hello-prod-copy").urn,
        ]);
    });
});
