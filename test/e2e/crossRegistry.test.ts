import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { RegistryClient } from "../../src/registry";
import { AUTH_CREDS, TestImage } from "../fixtures/registry/testImage";
import { pushServerImage } from "../fixtures/registry/serverImage";
import { parsePrivateKey, signDigest } from "../../src/signing";
import {
    afterNamespace,
    deploymentImage,
    engineEnv,
    expectFailure,
    git,
    kubectl,
    podsOf,
    projectCopy,
    REAL_NODE,
    SIGNING,
    timings,
    uniqueRun,
} from "./harness";

/**
 * Issue 9 under a real `pulumi up`: prod pulls from its own registry (127.0.0.1:5001, htpasswd), and
 * its pin names where the digest comes from (image-release:sourceRepository, on 5000). The program
 * verifies the pin there until the copy ran; `up` copies it, then deploys `<5001 repo>@digest`.
 */
describe("e2e: prod in its own registry: pulumi up copies the pin there before deploying it", function () {
    this.timeout(600_000);
    const r = uniqueRun();
    const source = r.repository;
    const prodRepo = `127.0.0.1:5001/e2e-${r.id}/hello`;
    const ns = r.namespaces.prod;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-cross-"));
    const logFile = path.join(stateDir, "engine.log");
    const log = (s: string) => fs.appendFileSync(logFile, s);
    const authed = new RegistryClient({ credentials: { "127.0.0.1:5001": AUTH_CREDS } });
    let dir = "";
    let prod: Stack;
    let a: TestImage;
    let b: TestImage;

    /** A docker config that logs in to 5001 (or not): the engine's providers read it as docker does. */
    const dockerConfig = (loggedIn: boolean): string => {
        const d = fs.mkdtempSync(path.join(stateDir, "docker-"));
        const auth = Buffer.from(`${AUTH_CREDS.username}:${AUTH_CREDS.password}`).toString("base64");
        fs.writeFileSync(
            path.join(d, "config.json"),
            JSON.stringify(loggedIn ? { auths: { "127.0.0.1:5001": { auth } } } : {}),
        );
        return d;
    };
    const withEnv = async (loggedIn: boolean): Promise<Stack> =>
        LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: dir },
            { envVars: { ...engineEnv(stateDir), DOCKER_CONFIG: dockerConfig(loggedIn) } },
        );
    const image = () => deploymentImage(ns);
    /** prod requires signed digests: each test image is signed in the source, as a release would be. */
    const signed = async (img: TestImage): Promise<TestImage> => {
        const key = parsePrivateKey(fs.readFileSync(SIGNING.key, "utf8"), SIGNING.password, SIGNING.key);
        await signDigest(authed, source, img.indexDigest, key);
        return img;
    };
    /** The example server, answering `version` and `gitSha`: a digest no other run pushed. */
    const server = (version: string, gitSha: string) =>
        pushServerImage(authed, source, { app: "hello", version, gitSha, seed: `${r.id}-${version}` });
    /** The Deployment's one Pod runs on the real node, pulled from 5001 by `img`'s digest. */
    const runsOnTheNode = async (img: TestImage) => {
        const want = { node: REAL_NODE, ready: true, imageID: `${prodRepo}@${img.indexDigest}` };
        for (let i = 0; ; i++) {
            const live = podsOf(ns, "app=hello").filter((p) => !p.deleting);
            const got = live.map((p) => ({ node: p.node, ready: p.ready, imageID: p.imageID }));
            if (i >= 60 || (got.length === 1 && JSON.stringify(got[0]) === JSON.stringify(want))) {
                assert.deepStrictEqual(got, [want]);
                return;
            }
            await new Promise((res) => setTimeout(res, 500));
        }
    };
    const prodFile = () => path.join(dir, "stacks", "Pulumi.prod.yaml");
    /** Pins prod to `img` by hand, as a reviewed PR would: only the pin's lines change. */
    const pin = (img: TestImage, version: string, gitSha: string) => {
        const text = fs
            .readFileSync(prodFile(), "utf8")
            .replace(/(image-release:digest:) sha256:[0-9a-f]{64}/, `$1 ${img.indexDigest}`)
            .replace(/(image-release:version:) .*/, `$1 ${version}`)
            .replace(/(image-release:gitSha:) .*/, `$1 ${gitSha}`);
        fs.writeFileSync(prodFile(), text);
        git(dir, ["commit", "-q", "-am", `prod runs ${version}`]);
    };

    before(async () => {
        dir = projectCopy(r);
        kubectl(["create", "namespace", ns]);
        a = await signed(await server("1.4.2", "0123abc"));
        b = await signed(await server("1.5.0", "4567def"));
        const text = fs
            .readFileSync(prodFile(), "utf8")
            .replace(`image-release:repository: ${source}`, `image-release:repository: ${prodRepo}`)
            .replace(
                /^(\s*)image-release:promotedFrom: staging$/m,
                `$1image-release:promotedFrom: staging\n$1image-release:sourceRepository: ${source}`,
            );
        // The namespace exists already (kubectl above), as a team's prod namespace would.
        fs.writeFileSync(prodFile(), afterNamespace(text, ["image-release:createNamespace: false"]));
        git(dir, ["commit", "-q", "-am", "prod pulls from its own registry"]);
        prod = await withEnv(true);
        // The node pulls from 5001 too: the stack's pull Secret, from a secret config value.
        const key = `image-release:pullCredentials["127.0.0.1:5001"]`;
        await prod.setConfig(`${key}.username`, { value: AUTH_CREDS.username }, true);
        await prod.setConfig(`${key}.password`, { value: AUTH_CREDS.password, secret: true }, true);
        pin(a, "1.4.2", "0123abc");
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: `cross-registry: ${t.title}`, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        process.stdout.write(`\n  e2e cross-registry run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("preview verifies the pin in the source and changes nothing; up copies it into 5001, then deploys 5001@digest", async () => {
        const preview = await prod.preview({ onOutput: log });
        // With the pull credential (the PullSecret component and its Secret), the namespace's admission
        // policy and its binding.
        assert.strictEqual(preview.changeSummary.create, 10);
        assert.strictEqual(await authed.headManifest(prodRepo, a.indexDigest), undefined);

        const up = await prod.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(image(), `${prodRepo}@${a.indexDigest}`);
        await runsOnTheNode(a);
        // Byte-exact in the target, with the release's immutable tags and the channel tag.
        assert.ok((await authed.getManifest(prodRepo, a.indexDigest)).bytes.equals(a.indexBytes));
        for (const ref of ["1.4.2", "git-0123abc", "prod"])
            assert.strictEqual((await authed.headManifest(prodRepo, ref))?.digest, a.indexDigest, ref);
        // The source is only read: it holds just the signatures the test made.
        assert.deepStrictEqual(
            (await authed.listTags(source)).sort(),
            [a, b].map((i) => `${i.indexDigest.replace(":", "-")}.sig`).sort(),
        );
        // The signature came along: prod verifies it in its own registry from now on.
        const sig = `${a.indexDigest.replace(":", "-")}.sig`;
        assert.strictEqual(
            (await authed.headManifest(prodRepo, sig))?.digest,
            (await authed.headManifest(source, sig))?.digest,
        );
        assert.strictEqual((await authed.headManifest(source, a.indexDigest))?.digest, a.indexDigest);
        await prod.preview({ onOutput: log, expectNoChanges: true });
    });

    it("a new pin: up copies it and rolls the Deployment; the earlier digest stays in 5001", async () => {
        pin(b, "1.5.0", "4567def");
        const up = await prod.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(image(), `${prodRepo}@${b.indexDigest}`);
        await runsOnTheNode(b);
        for (const [ref, digest] of [
            ["1.5.0", b.indexDigest],
            ["git-4567def", b.indexDigest],
            ["prod", b.indexDigest],
            ["1.4.2", a.indexDigest],
            [a.indexDigest, a.indexDigest],
        ])
            assert.strictEqual((await authed.headManifest(prodRepo, ref))?.digest, digest, ref);
    });

    it("not logged in to 5001: preview and up fail with the registry's 401, naming it; nothing changes", async () => {
        const c = await signed(await server("1.6.0", "89abcde"));
        pin(c, "1.6.0", "89abcde");
        const anonymous = await withEnv(false);
        const path5001 = prodRepo.slice("127.0.0.1:5001/".length);
        const want = `stacks/Pulumi.prod.yaml: image-release:digest: digest verification failed: authentication failed for 127.0.0.1:5001 (scope "repository:${path5001}:pull"): 401 Unauthorized`;
        for (const attempt of [
            () => anonymous.preview({ onOutput: log }),
            () => anonymous.up({ onOutput: log }),
        ]) {
            const err = await expectFailure(attempt());
            assert.ok(err.includes(want), `expected "${want}" in:\n${err}`);
        }
        assert.strictEqual(image(), `${prodRepo}@${b.indexDigest}`);
        assert.strictEqual(await authed.headManifest(prodRepo, c.indexDigest), undefined);
        assert.strictEqual((await authed.headManifest(prodRepo, "prod"))?.digest, b.indexDigest);
    });
});
