import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { GcResult, readOutputs } from "../../src/flows";
import { OCI_INDEX, RegistryClient } from "../../src/registry";
import { ReleaseRecord } from "../../src/release";
import { parsePublicKey } from "../../src/signing";
import {
    deploymentImage,
    engineEnv,
    expectFailure,
    git,
    kubectl,
    projectCopy,
    registryDigest,
    registryTags,
    run,
    SIGNING,
    stack,
    timings,
    uniqueRun,
    VERIFIER,
    withPin,
} from "./harness";
import { blobFile, collectAndServe, pullAll, snapshotRepository } from "./registryGc";
import { pushTestImage } from "../fixtures/registry/testImage";

/**
 * The README's flows under a real `pulumi up`: the Pulumi CLI, our Node.js language host, the
 * Kubernetes provider and a local Kubernetes API (scripts/toolchain.sh, scripts/cluster-up.sh). The
 * steps build on each other, in order: dev builds, staging and prod are promoted, prod rolls back.
 */
describe("e2e: the README's flows under a real pulumi up", function () {
    this.timeout(900_000);
    const r = uniqueRun();
    const repo = r.repository;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-e2e-state-"));
    const logFile = path.join(stateDir, "engine.log");
    let dir = "";
    const stacks: Record<string, Stack> = {};
    /** What each step learned, for the next. */
    let d1 = "";
    let d2 = "";
    let sha1 = "";
    let sha2 = "";

    const log = (s: string) => fs.appendFileSync(logFile, s);
    // The CLI runs with the stacks' backend and passphrase, as in a user's shell after `pulumi login`:
    // `promote --from <stack>` then reads that stack's real `release` output.
    const cli = (args: string[]) =>
        run("node", [path.join(dir, "bin", "image-release.js"), ...args], dir, engineEnv(stateDir));
    /** `pulumi stack output release --json`, written where `promote --from <stack>` reads it. */
    const recordOutputs = async (name: string): Promise<ReleaseRecord> => {
        const out = await run(
            "pulumi",
            ["stack", "output", "release", "--json", "--stack", name],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(out.code, 0, out.stderr);
        fs.mkdirSync(path.join(dir, ".image-release", "outputs"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".image-release", "outputs", `${name}.json`), out.stdout);
        return readOutputs(dir, name) as ReleaseRecord;
    };
    /** The registry's index: platform -> manifest digest. */
    const platformDigests = async (digest: string): Promise<Record<string, string>> => {
        const host = repo.slice(0, repo.indexOf("/"));
        const res = await fetch(
            `http://${host}/v2/${repo.slice(repo.indexOf("/") + 1)}/manifests/${digest}`,
            {
                headers: { Accept: "application/vnd.oci.image.index.v1+json" },
            },
        );
        const index = (await res.json()) as {
            manifests: { digest: string; platform: { os: string; architecture: string } }[];
        };
        return Object.fromEntries(
            index.manifests.map((m) => [`${m.platform.os}/${m.platform.architecture}`, m.digest]),
        );
    };
    /** "Merge the PR": its diff touches only the pin's lines; main fast-forwards onto the branch. */
    const mergeReviewed = (branch: string) => {
        const changed = git(dir, ["diff", "-U0", `main..${branch}`])
            .split("\n")
            .filter((l) => /^[-+](?![-+])/.test(l));
        assert.ok(changed.length > 0, `branch ${branch} changes nothing`);
        for (const l of changed)
            assert.match(l, /^[-+] {2}image-release:(digest|version|gitSha|promotedFrom): /);
        git(dir, ["checkout", "-q", "main"]);
        git(dir, ["merge", "-q", "--ff-only", branch]);
    };
    /** Promote with the CLI as a user does (--git: a branch and a commit), then merge it. */
    const promoteAndMerge = async (from: string, to: string) => {
        const p = await cli(["promote", "--from", from, "--to", to, "--git", "--json"]);
        assert.strictEqual(p.code, 0, p.stderr);
        const result = JSON.parse(p.stdout) as {
            digest: string;
            version: string;
            branch: string;
            pr: { title: string; body: string; file: string };
        };
        mergeReviewed(result.branch);
        return result;
    };
    const rolloutHistory = (ns: string) => kubectl(["rollout", "history", "deployment/hello", "-n", ns]);

    before(async () => {
        // No namespace is created here: each stack's `pulumi up` creates its own (image-release:namespace).
        dir = projectCopy(r);
        // What dev builds is the newest commit of its context, not HEAD: config commits do not rebuild it.
        sha1 = git(dir, ["log", "-1", "--format=%H", "--", "examples/hello"]).trim();
    });

    afterEach(function () {
        const t = this.currentTest;
        if (t) timings.push({ step: t.title, seconds: (t.duration ?? 0) / 1000 });
    });

    after(() => {
        process.stdout.write(`\n  e2e run ${r.id}: project ${dir}, engine log ${logFile}\n`);
    });

    it("stack init: pulumi adds one line (encryptionsalt) to each shipped stack file and rewrites nothing", async () => {
        for (const name of ["dev", "staging", "prod"]) stacks[name] = await stack(dir, name, stateDir);
        assert.strictEqual(
            git(dir, ["diff", "--numstat", "--", "stacks"]),
            "1\t0\tstacks/Pulumi.dev.yaml\n1\t0\tstacks/Pulumi.prod.yaml\n1\t0\tstacks/Pulumi.staging.yaml\n",
        );
        assert.match(
            git(dir, ["diff", "-U0", "--", "stacks/Pulumi.prod.yaml"]),
            /\n\+encryptionsalt: v1:\S+\n$/,
        );
        // A user commits it with the file: it lets the same passphrase decrypt the stack's secrets elsewhere.
        git(dir, ["commit", "-q", "-am", "pulumi stack init dev, staging and prod"]);
    });

    it("dev: pulumi up builds once, pushes the tag set and deploys repo@<index digest>", async () => {
        const up = await stacks.dev.up({ onOutput: log });
        const digest = up.outputs.digest.value as string;
        d1 = digest;
        assert.match(digest, /^sha256:[0-9a-f]{64}$/);
        const tags = ["1.4.2", "1.4", "1", `git-${sha1.slice(0, 7)}`, "dev"];
        for (const t of tags) assert.strictEqual(await registryDigest(repo, t), digest, `tag ${t}`);
        assert.deepStrictEqual(up.outputs.tags.value, tags);
        assert.strictEqual(deploymentImage(r.namespaces.dev), `${repo}@${digest}`);
        assert.strictEqual(
            kubectl([
                "rollout",
                "status",
                "deployment/hello",
                "-n",
                r.namespaces.dev,
                "--timeout=60s",
            ]).trim(),
            'deployment "hello" successfully rolled out',
        );
        const record = await recordOutputs("dev");
        assert.deepStrictEqual(record, {
            repository: repo,
            version: "1.4.2",
            digest,
            ref: `${repo}@${digest}`,
            tags,
            platforms: ["linux/amd64", "linux/arm64"],
            platformDigests: await platformDigests(digest),
            gitSha: sha1,
            sourceStack: "dev",
        });
        // Signed at build time (IMAGE_RELEASE_SIGNING_KEY in the engine's environment), with its SBOM
        // and provenance: cosign itself accepts all three.
        for (const args of [
            ["verify"],
            ["verify-attestation", "--type", "slsaprovenance1"],
            ["verify-attestation", "--type", "spdxjson"],
        ]) {
            const v = await run(
                "cosign",
                [
                    ...args,
                    "--key",
                    SIGNING.pub,
                    "--insecure-ignore-tlog",
                    "--trusted-root",
                    SIGNING.trustedRoot,
                    `${repo}@${digest}`,
                ],
                dir,
            );
            assert.strictEqual(v.code, 0, `cosign ${args.join(" ")}: ${v.stderr}`);
        }
    });

    it("dev: a second pulumi up changes nothing and builds nothing; refresh then preview shows no diff", async () => {
        const before = await registryTags(repo);
        const up = await stacks.dev.up({ onOutput: log });
        assert.deepStrictEqual(Object.keys(up.summary.resourceChanges ?? {}), ["same"]);
        assert.deepStrictEqual(await registryTags(repo), before);
        const refresh = await stacks.dev.refresh({ onOutput: log });
        assert.deepStrictEqual(Object.keys(refresh.summary.resourceChanges ?? {}), ["same"]);
        const preview = await stacks.dev.preview({ expectNoChanges: true, onOutput: log });
        assert.deepStrictEqual(Object.keys(preview.changeSummary), ["same"]);
    });

    it("staging: promote --git, preview verifies the pin, up pins the Deployment and moves :staging by retag", async () => {
        const p = await promoteAndMerge("dev", "staging");
        assert.deepStrictEqual([p.digest, p.version], [d1, "1.4.2"]);
        // The ready PR body carries the release notes of the pinned digest, 1.4.2.
        const body = fs.readFileSync(path.join(dir, p.pr.file), "utf8");
        for (const line of [
            `- Image: \`${repo}@${d1}\``,
            // The pinned digest's immutable tags: the PR lists no tags from the registry.
            `- Tags: \`1.4.2\`, \`git-${sha1.slice(0, 7)}\``,
            "- Running in: dev, staging",
            // Read from the stack itself, not from the outputs file this test also wrote.
            "- `dev` exported it as its `release` stack output (`pulumi stack output release --json --stack dev`: version 1.4.2, built in `dev`)",
        ]) {
            assert.ok(body.includes(`\n${line}\n`), `PR body lacks ${line}:\n${body}`);
        }
        const preview = await stacks.staging.preview({ onOutput: log });
        // Its Namespace is one of them (the stack creates it on a cluster that does not have it yet), and so
        // are the namespace's ValidatingAdmissionPolicy and its binding.
        assert.strictEqual(preview.changeSummary.create, 10);
        const up = await stacks.staging.up({ onOutput: log });
        assert.strictEqual(up.outputs.digest.value, d1);
        assert.deepStrictEqual(up.outputs.platformDigests.value, await platformDigests(d1));
        assert.strictEqual(deploymentImage(r.namespaces.staging), `${repo}@${d1}`);
        assert.strictEqual(await registryDigest(repo, "staging"), d1);
        assert.strictEqual(
            rolloutHistory(r.namespaces.staging),
            `deployment.apps/hello \nREVISION  CHANGE-CAUSE\n1         image-release 1.4.2 ${d1.slice(0, 19)} (promoted from dev)\n\n`,
        );
    });

    it("training: the staging PinnedJob runs to completion and records digest, code sha and dataset", async () => {
        const out = await stacks.staging.outputs();
        const job = out.trainingJob.value as Record<string, string>;
        const ns = r.namespaces.staging;
        const expectedName = `hello-train-${createHash("sha256").update(`${d1}\n${sha1}\nclicks-2026-11-01`).digest("hex").slice(0, 10)}`;
        assert.deepStrictEqual(job, {
            name: expectedName,
            image: `${repo}@${d1}`,
            digest: d1,
            gitSha: sha1,
            datasetVersion: "clicks-2026-11-01",
        });
        const get = (jsonpath: string) =>
            kubectl(["get", "job", expectedName, "-n", ns, "-o", `jsonpath=${jsonpath}`]);
        assert.strictEqual(get(`{.status.conditions[?(@.type=="Complete")].status}`), "True");
        assert.strictEqual(get("{.status.succeeded}"), "1");
        assert.strictEqual(get("{.spec.template.spec.containers[0].image}"), `${repo}@${d1}`);
        assert.strictEqual(
            get("{.spec.template.spec.containers[0].args}"),
            '["--once","--dataset","clicks-2026-11-01"]',
        );
        assert.deepStrictEqual(JSON.parse(get("{.metadata.annotations}")), {
            "image-release/dataset-version": "clicks-2026-11-01",
            "image-release/digest": d1,
            "image-release/git-sha": sha1,
        });
    });

    it("prod: promote with staging's real outputs as proof; up runs the CrossGuard pack; the pack refuses a violating config", async () => {
        const record = await recordOutputs("staging");
        assert.deepStrictEqual([record.digest, record.sourceStack], [d1, "dev"]);
        // The proof that staging ran d1 is the record staging's real stack outputs hold.
        const p = await promoteAndMerge("staging", "prod");
        assert.strictEqual(p.digest, d1);
        const pack = path.join(dir, "src", "policy", "pack");
        // The pack trusts the release key by its id, through its own config: it sees no stack config.
        const trusted = parsePublicKey(fs.readFileSync(path.join(dir, SIGNING.pub), "utf8"), SIGNING.pub).id;
        const packConfig = path.join(stateDir, "policy-config.json");
        fs.writeFileSync(
            packConfig,
            JSON.stringify({
                "signed-digest-required": { trustedKeys: [trusted] },
                // It reads each prod digest's rejections from the registry with the verifier key prod trusts.
                "rejected-digest-refused": {
                    verifierKeys: [fs.readFileSync(path.join(dir, VERIFIER.pub), "utf8")],
                },
            }),
        );
        const up = await stacks.prod.up({
            onOutput: log,
            policyPacks: [pack],
            policyPackConfigs: [packConfig],
        });
        assert.strictEqual(up.outputs.digest.value, d1);
        assert.ok(
            up.stdout.includes(`Policies:\n    ✅ image-release@v5.0.0 (local: ${pack})\n`),
            `no passing policy report in:\n${up.stdout}`,
        );
        assert.strictEqual(deploymentImage(r.namespaces.prod), `${repo}@${d1}`);
        assert.strictEqual(await registryDigest(repo, "prod"), d1);
        // prod requires a signature (its default): the program verified it, and says with which key.
        assert.strictEqual(
            kubectl([
                "get",
                "deployment",
                "hello",
                "-n",
                r.namespaces.prod,
                "-o",
                "jsonpath={.metadata.annotations.image-release/signed-by}",
            ]),
            trusted,
        );

        // dev without an image source (this copy has no git remote and package.json no repository):
        // the mandatory oci-labels-present policy refuses it before anything changes.
        const before = await registryTags(repo);
        const refused = await expectFailure(stacks.dev.preview({ onOutput: log, policyPacks: [pack] }));
        const report = [
            `    ❌ image-release@v5.0.0 (local: ${pack})`,
            "        - [mandatory]  oci-labels-present  (pulumi-nodejs:dynamic:Resource: hello-image)",
            "          MultiArchImage carries the source, revision and version OCI labels.",
            "          MultiArchImage is missing OCI label(s) org.opencontainers.image.source",
            "",
        ].join("\n");
        assert.ok(refused.includes(`Policies:\n${report}`), `no refusal report in:\n${refused}`);
        assert.deepStrictEqual(await registryTags(repo), before);
    });

    it("rollback: a second release goes dev -> staging -> prod; rollback --stack prod and up put prod back on the first digest", async () => {
        // The second release: a new commit of the app under a new version, set the way a user does.
        const cfg = await run(
            "pulumi",
            ["config", "set", "--stack", "dev", "image-release:version", "1.5.0"],
            dir,
            engineEnv(stateDir),
        );
        assert.strictEqual(cfg.code, 0, cfg.stderr);
        fs.appendFileSync(path.join(dir, "examples", "hello", "Dockerfile"), "# 1.5.0: a new release\n");
        git(dir, ["commit", "-q", "-am", "hello 1.5.0"]);
        sha2 = git(dir, ["log", "-1", "--format=%H", "--", "examples/hello"]).trim();
        // Before the build the new digest is unknown, yet the preview plans an update of the Deployment,
        // not a replacement (its namespace, plain in config, stays known).
        const preview = await stacks.dev.preview({ onOutput: log });
        assert.deepStrictEqual([preview.changeSummary.update, preview.changeSummary.replace], [2, undefined]);
        const up = await stacks.dev.up({ onOutput: log });
        d2 = up.outputs.digest.value as string;
        assert.notStrictEqual(d2, d1);
        assert.deepStrictEqual(up.outputs.tags.value, [
            "1.5.0",
            "1.5",
            "1",
            `git-${sha2.slice(0, 7)}`,
            "dev",
        ]);
        assert.strictEqual(await registryDigest(repo, "1.4.2"), d1);
        await recordOutputs("dev");
        assert.strictEqual((await promoteAndMerge("dev", "staging")).digest, d2);
        await stacks.staging.up({ onOutput: log });
        await recordOutputs("staging");
        assert.strictEqual((await promoteAndMerge("staging", "prod")).digest, d2);
        await stacks.prod.up({ onOutput: log });
        assert.strictEqual(deploymentImage(r.namespaces.prod), `${repo}@${d2}`);
        assert.strictEqual(await registryDigest(repo, "prod"), d2);

        const rb = await cli(["rollback", "--stack", "prod", "--git", "--json"]);
        assert.strictEqual(rb.code, 0, rb.stderr);
        const rolled = JSON.parse(rb.stdout) as { digest: string; branch: string; pr: { file: string } };
        assert.strictEqual(rolled.digest, d1);
        const pinCommit = git(dir, [
            "log",
            "-1",
            "--format=%H",
            "--grep",
            "^Promote hello 1.4.2 from staging to prod",
        ]).trim();
        assert.ok(
            fs
                .readFileSync(path.join(dir, rolled.pr.file), "utf8")
                .includes(
                    `\n- \`prod\` ran it before: commit ${pinCommit} pinned it in stacks/Pulumi.prod.yaml\n`,
                ),
        );
        mergeReviewed(rolled.branch);
        const back = await stacks.prod.up({ onOutput: log });
        assert.strictEqual(back.outputs.digest.value, d1);
        assert.strictEqual(deploymentImage(r.namespaces.prod), `${repo}@${d1}`);
        assert.strictEqual(await registryDigest(repo, "prod"), d1);
        // The first release's ReplicaSet is reused, so its revision moves from 1 to 3.
        assert.strictEqual(
            rolloutHistory(r.namespaces.prod),
            "deployment.apps/hello \nREVISION  CHANGE-CAUSE\n" +
                `2         image-release 1.5.0 ${d2.slice(0, 19)} (promoted from staging)\n` +
                `3         image-release 1.4.2 ${d1.slice(0, 19)} (promoted from staging)\n\n`,
        );
    });

    it("bad pins: malformed, missing and arm64-less digests fail preview with the README's message; up changes nothing", async () => {
        const file = path.join(dir, "stacks", "Pulumi.staging.yaml");
        const original = fs.readFileSync(file, "utf8");
        // An index holding only the amd64 image of d2, pushed by digest (no tag).
        const host = repo.slice(0, repo.indexOf("/"));
        const name = repo.slice(repo.indexOf("/") + 1);
        const idx = (await (
            await fetch(`http://${host}/v2/${name}/manifests/${d2}`, {
                headers: { Accept: "application/vnd.oci.image.index.v1+json" },
            })
        ).json()) as { manifests: { platform: { architecture: string } }[] };
        idx.manifests = idx.manifests.filter((m) => m.platform.architecture === "amd64");
        const amd64Only = Buffer.from(JSON.stringify(idx));
        const dAmd64 = `sha256:${createHash("sha256").update(amd64Only).digest("hex")}`;
        const put = await fetch(`http://${host}/v2/${name}/manifests/${dAmd64}`, {
            method: "PUT",
            headers: { "Content-Type": "application/vnd.oci.image.index.v1+json" },
            body: amd64Only,
        });
        assert.strictEqual(put.status, 201);
        const missing = `sha256:${"0".repeat(64)}`;
        const cases = [
            {
                pin: "sha256:abc",
                message:
                    'stacks/Pulumi.staging.yaml: image-release:digest: expected sha256:<64 hex>, but it has 3 hex chars (got "sha256:abc")',
            },
            {
                pin: missing,
                message: `stacks/Pulumi.staging.yaml: image-release:digest: digest verification failed: digest ${missing} not found in repo ${repo}`,
            },
            {
                pin: dAmd64,
                message: `stacks/Pulumi.staging.yaml: image-release:digest: digest verification failed: ${repo}@${dAmd64} lacks required platform(s) linux/arm64 (has linux/amd64)`,
            },
        ];
        const ns = r.namespaces.staging;
        const image = deploymentImage(ns);
        const jobs = kubectl(["get", "jobs", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"]);
        const tags = await registryTags(repo);
        for (const c of cases) {
            fs.writeFileSync(file, withPin(original, { digest: c.pin }));
            // The message alone, once, as the stack's error: no stack trace, no serialization prefixes.
            const diagnostic = `Diagnostics:\n  pulumi:pulumi:Stack (image-release-staging):\n    error: ${c.message}\n\n`;
            const preview = await expectFailure(stacks.staging.preview({ onOutput: log }));
            assert.ok(
                preview.includes(diagnostic),
                `preview of ${c.pin} did not say:\n${diagnostic}\nit said:\n${preview}`,
            );
            const up = await expectFailure(stacks.staging.up({ onOutput: log }));
            assert.ok(up.includes(diagnostic), `up of ${c.pin} did not say:\n${diagnostic}\nit said:\n${up}`);
            assert.strictEqual(deploymentImage(ns), image);
            assert.strictEqual(
                kubectl(["get", "jobs", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"]),
                jobs,
            );
            assert.deepStrictEqual(await registryTags(repo), tags);
        }
        fs.writeFileSync(file, original);
    });

    it("gc: --apply deletes only the unpinned digest; after the registry's own garbage collection every kept digest pulls; a rollback still works", async () => {
        const client = new RegistryClient({});
        const name = repo.slice(repo.indexOf("/") + 1);
        // A release nothing pinned or ran, tagged as a build would be: the one thing that may go.
        const extra = await pushTestImage(client, repo, `${r.id}-never-pinned`);
        await client.putManifest(repo, "0.0.1-never-pinned", extra.indexBytes, OCI_INDEX);
        const extraBlobs: string[] = [];
        for (const d of Object.values(extra.platformDigests)) {
            const m = JSON.parse((await client.getManifest(repo, d)).bytes.toString()) as {
                config: { digest: string };
                layers: { digest: string }[];
            };
            extraBlobs.push(m.config.digest, ...m.layers.map((l) => l.digest));
        }
        const applied = await cli(["gc", "--apply", "--older-than", "1h", "--json"]);
        assert.strictEqual(applied.code, 0, applied.stderr);
        const res = JSON.parse(applied.stdout) as GcResult;
        const gone = [extra.indexDigest, ...Object.values(extra.platformDigests)];
        assert.deepStrictEqual([...(res.deleted ?? [])].sort(), gone.map((d) => `${repo}@${d}`).sort());
        const kept = res.kept.filter((k) => k.repositories.includes(repo)).map((k) => k.digest);
        assert.ok(kept.includes(d1) && kept.includes(d2), kept.join(", "));
        for (const d of kept) assert.strictEqual(await registryDigest(repo, d), d);
        assert.strictEqual(await registryDigest(repo, extra.indexDigest), undefined);
        // The registry's own collection, on a registry this test owns (see ./registryGc).
        const storage = path.join(
            process.env.IMAGE_RELEASE_STATE_DIR ?? "/var/tmp/image-release-local",
            "registry-5000",
            "data",
        );
        const started = Date.now();
        const root = snapshotRepository(storage, name);
        assert.deepStrictEqual(
            extraBlobs.filter((b) => !fs.existsSync(blobFile(root, b))),
            [],
        );
        const owned = await collectAndServe(root);
        try {
            assert.deepStrictEqual(
                extraBlobs.filter((b) => fs.existsSync(blobFile(root, b))),
                [],
            );
            for (const d of kept) assert.ok((await pullAll(owned.host, name, d)) > 0, d);
            const missing = await fetch(`http://${owned.host}/v2/${name}/manifests/${extra.indexDigest}`);
            assert.strictEqual(missing.status, 404);
        } finally {
            owned.stop();
            fs.rmSync(root, { recursive: true, force: true });
        }
        timings.push({
            step: "gc: registry garbage-collect + pull every kept digest",
            seconds: (Date.now() - started) / 1000,
        });
        // prod runs d1 again: its rollback goes to d2, whose bytes the collection had to keep.
        const rb = await cli(["rollback", "--stack", "prod", "--git", "--json"]);
        assert.strictEqual(rb.code, 0, rb.stderr);
        const rolled = JSON.parse(rb.stdout) as { digest: string; branch: string };
        assert.strictEqual(rolled.digest, d2);
        mergeReviewed(rolled.branch);
        const up = await stacks.prod.up({ onOutput: log });
        assert.strictEqual(up.outputs.digest.value, d2);
        assert.strictEqual(deploymentImage(r.namespaces.prod), `${repo}@${d2}`);
    });

    it("destroy: pulumi destroy --stack dev removes the cluster objects and leaves every image and tag", async () => {
        const tags = await registryTags(repo);
        await stacks.dev.destroy({ onOutput: log });
        const left = await run("kubectl", ["get", "deployment", "hello", "-n", r.namespaces.dev], dir);
        assert.strictEqual(left.code, 1);
        assert.strictEqual(left.stderr, 'Error from server (NotFound): deployments.apps "hello" not found\n');
        // The stack's Namespace is retained on delete: whatever else lives in it is not the stack's to delete.
        assert.strictEqual(
            kubectl(["get", "namespace", r.namespaces.dev, "-o", "name"]),
            `namespace/${r.namespaces.dev}\n`,
        );
        assert.deepStrictEqual(await registryTags(repo), tags);
        for (const d of [d1, d2]) assert.strictEqual(await registryDigest(repo, d), d);
    });
});
