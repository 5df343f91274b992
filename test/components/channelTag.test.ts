import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, recorded, resetRecorded, setMocks, settle } from "../helpers/mocks";
import type { ChannelTag as ChannelTagT } from "../../src/components/channelTag";

const REPO = "127.0.0.1:5000/image-release/hello";
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
        assert.strictEqual(tags[0].inputs.repository, REPO);
        assert.strictEqual(tags[0].inputs.tag, "prod");
        assert.strictEqual(tags[0].inputs.digest, D);
        assert.strictEqual(tags[0].inputs.deleteFromRegistry, false);
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
});
