import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { run } from "../../src/cli";
import { RegistryClient } from "../../src/registry";
import { TestImage } from "../fixtures/registry/testImage";
import { commitAll, makeRepo, readStack as read, writeDevOutputs } from "../fixtures/cli/repo";
import { testClient, twoImages } from "../fixtures/cli/scenarios";
import { closedPort, runCli } from "../helpers/cli";

const client = testClient();

/** A failure is one `image-release: <message>` line on stderr, its exit code 1 (refusal) or 2 (usage). */
describe("cli errors @integration", () => {
    let repo: string;
    let img0: TestImage;
    let img1: TestImage;

    before(async () => {
        ({ repo, img0, img1 } = await twoImages(client));
    });

    it("never prints credentials, even in registry errors", async () => {
        const password = "local-only-password";
        const authed = new RegistryClient({
            credentials: { "127.0.0.1:5001": { username: "imagerelease", password: "wrong-" + password } },
            retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
        });
        const authRepo = "127.0.0.1:5001/test/cli-auth";
        const d0 = img0.indexDigest;
        const d1 = img1.indexDigest;
        const dir = makeRepo(authRepo, d0);
        // prod moves on to d1, so the default rollback (d0) really asks the registry.
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.prod.yaml"), read(dir, "prod").replace(d0, d1));
        commitAll(dir, "prod runs d1", 2);
        const auth = `authentication failed for 127.0.0.1:5001 (scope "repository:test/cli-auth:pull"): 401 Unauthorized`;
        const cell = `error: ${auth}`;
        const pad = " ".repeat(cell.length - "IN REGISTRY".length);
        const outputs: [number, string][] = [];
        for (const args of [["status"], ["status", "--json"], ["rollback", "--stack", "prod"]]) {
            let out = "";
            const code = await run(
                [...args, "--repo-root", dir],
                { out: (x) => (out += x), err: (x) => (out += x) },
                { client: authed },
            );
            outputs.push([code, out]);
        }
        const sh = (d: string) => d.slice(0, 19);
        assert.deepStrictEqual(outputs, [
            [
                1,
                [
                    `STACK    VERSION  DIGEST               CHANNEL  CHANNEL->  IN REGISTRY${pad}  DRIFT`,
                    `dev      -        -                    dev      -          ${cell}  no`,
                    `prod     1.4.0    ${sh(d1)}  prod     -          ${cell}  no`,
                    `staging  1.4.0    ${sh(d0)}  staging  -          ${cell}  no`,
                    "",
                ].join("\n"),
            ],
            [
                1,
                JSON.stringify(
                    [
                        { stack: "dev", channel: "dev", drift: false, error: auth },
                        {
                            stack: "prod",
                            version: "1.4.0",
                            digest: d1,
                            channel: "prod",
                            drift: false,
                            error: auth,
                        },
                        {
                            stack: "staging",
                            version: "1.4.0",
                            digest: d0,
                            channel: "staging",
                            drift: false,
                            error: auth,
                        },
                    ],
                    null,
                    2,
                ) + "\n",
            ],
            [1, `image-release: ${auth}\n`],
        ]);
        assert.ok(!outputs.some(([, out]) => out.includes(password)));
    });

    describe("exit code and the one stderr line, nothing on stdout", () => {
        let deadPort = 0;
        before(async () => {
            deadPort = await closedPort();
        });
        let dir: string;
        beforeEach(() => {
            dir = makeRepo(repo, img0.indexDigest);
        });

        const cliRows: {
            name: string;
            args: (d: string) => string[];
            setup?: (d: string) => void;
            code: number;
            stderr: (d: string) => string;
        }[] = [
            {
                name: "bad stack name",
                args: (d) => ["history", "--repo-root", d, "--stack", "Prod!"],
                code: 1,
                stderr: () =>
                    `image-release: invalid stack name "Prod!": use lowercase letters, digits and dashes\n`,
            },
            {
                name: "unknown stack",
                args: (d) => ["rollback", "--repo-root", d, "--stack", "qa"],
                code: 1,
                stderr: (d) =>
                    `image-release: unknown stack "qa": no ${path.join(d, "stacks", "Pulumi.qa.yaml")} (known stacks: dev, prod, staging)\n`,
            },
            {
                name: "malformed YAML",
                setup: (d) =>
                    fs.writeFileSync(path.join(d, "stacks", "Pulumi.staging.yaml"), "config:\n  a: [\n"),
                args: (d) => ["status", "--repo-root", d],
                code: 1,
                stderr: (d) =>
                    `image-release: ${path.join(d, "stacks", "Pulumi.staging.yaml")}:3: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
            },
            {
                name: "digest typo",
                args: (d) => ["rollback", "--repo-root", d, "--stack", "prod", "--to", "sha256:12345"],
                code: 1,
                stderr: () => `image-release: --to "sha256:12345" is not a digest (sha256:<64 hex>)\n`,
            },
            {
                name: "unreachable registry",
                setup: (d) => {
                    for (const st of ["dev", "staging", "prod"]) {
                        const f = path.join(d, "stacks", `Pulumi.${st}.yaml`);
                        fs.writeFileSync(
                            f,
                            fs.readFileSync(f, "utf8").split(repo).join(`127.0.0.1:${deadPort}/x/hello`),
                        );
                    }
                },
                args: (d) => {
                    writeDevOutputs(
                        d,
                        `127.0.0.1:${deadPort}/x/hello`,
                        img1.indexDigest,
                        "1.4.1",
                        img1.platformDigests,
                    );
                    return ["promote", "--repo-root", d, "--from", "dev", "--to", "staging"];
                },
                code: 1,
                stderr: () =>
                    `image-release: registry 127.0.0.1:${deadPort} unreachable after 2 attempts: ECONNREFUSED\n`,
            },
            {
                name: "usage error",
                args: (d) => ["promote", "--repo-root", d, "--from", "dev"],
                code: 2,
                stderr: () => `error: required option '--to <stack>' not specified\n`,
            },
        ];
        for (const r of cliRows) {
            it(`CLI: ${r.name}`, async () => {
                r.setup?.(dir);
                const res = await runCli(r.args(dir));
                assert.deepStrictEqual([res.code, res.stderr, res.stdout], [r.code, r.stderr(dir), ""]);
            });
        }
    });
});
