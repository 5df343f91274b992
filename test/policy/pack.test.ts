import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { policies } from "../../src/policy";

const D = "sha256:" + "0123456789abcdef".repeat(4);
const VERIFIER_PEM = fs.readFileSync(
    path.join(__dirname, "..", "fixtures", "verifier", "verifier.pub"),
    "utf8",
);

/**
 * src/policy/pack under the protocol the Pulumi CLI speaks to it: the CLI runs `run-policy-pack`,
 * reads the analyzer's port from its first line, hands it `--policy-pack-config` through Configure, and
 * asks Analyze about each resource. No CLI, engine or cluster is involved, only the pack itself.
 */
describe("the policy pack over the analyzer protocol", function () {
    this.timeout(90_000);
    let child: ChildProcess;
    let client: AnalyzerClient;

    before(async () => {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        child = spawn(process.execPath, [runner, "127.0.0.1:1", ".", "-typescript=true"], {
            cwd: path.resolve("src/policy/pack"),
        });
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            let err = "";
            child.stdout?.on("data", (d: Buffer) => {
                out += d.toString();
                if (out.includes("\n")) resolve(out.split("\n")[0].trim());
            });
            child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
            child.on("exit", (code) => reject(new Error(`pack exited ${code}: ${err}`)));
        });
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    /** One unary call, as a promise. */
    const call = <Res>(send: (done: (e: grpc.ServiceError | null, r: Res) => void) => unknown) =>
        new Promise<Res>((resolve, reject) => send((e, r) => (e ? reject(e) : resolve(r))));

    const configure = async (config: Record<string, Record<string, unknown>>) => {
        const req = new analyzer.ConfigureAnalyzerRequest();
        for (const [name, props] of Object.entries(config)) {
            const c = new analyzer.PolicyConfig();
            c.setEnforcementlevel(analyzer.EnforcementLevel.MANDATORY);
            c.setProperties(Struct.fromJavaScript(props as never));
            req.getPolicyconfigMap().set(name, c);
        }
        await call((done) => client.configure(req, done));
    };

    /** The violations Analyze reports for one resource of `type` in `stack`, as "policy: message". */
    const analyze = async (stack: string, type: string, props: Record<string, unknown>) => {
        const req = new analyzer.AnalyzeRequest();
        req.setType(type);
        req.setName("x");
        req.setUrn(`urn:pulumi:${stack}::image-release::${type}::x`);
        req.setProperties(Struct.fromJavaScript(props as never));
        req.setOptions(new analyzer.AnalyzerResourceOptions());
        const res = await call<analyzer.AnalyzeResponse>((done) => client.analyze(req, done));
        // The pack puts the policy's description above each message, as the CLI prints it.
        for (const d of res.getDiagnosticsList()) {
            const described = policies.find((p) => p.name === d.getPolicyname())?.description;
            assert.strictEqual(d.getMessage().split("\n")[0], described);
        }
        return res
            .getDiagnosticsList()
            .map((d) => `${d.getPolicyname()}: ${d.getMessage().split("\n").slice(1).join("\n")}`);
    };

    const statefulSet = (signedBy: string) => ({
        metadata: { annotations: { "image-release/signed-by": signedBy } },
        // In the local registry, which has no rejection of it: rejected-digest-refused reads it there.
        spec: {
            template: {
                spec: { containers: [{ name: "app", image: `127.0.0.1:5000/test/pack-hello@${D}` }] },
            },
        },
    });

    it("declares signed-digest-required's config schema to the CLI", async () => {
        const info = await call<analyzer.AnalyzerInfo>((done) => client.getAnalyzerInfo(new Empty(), done));
        const schema = info
            .getPoliciesList()
            .find((p) => p.getName() === "signed-digest-required")
            ?.getConfigschema()
            ?.getProperties()
            ?.toJavaScript();
        assert.deepStrictEqual(schema, {
            trustedKeys: {
                type: "array",
                items: { type: "string", pattern: "^sha256:[0-9a-f]{16}$" },
                description:
                    "Key ids (sha256:<16 hex>, as `image-release verify` prints them) whose signatures prod may run.",
            },
        });
    });

    it("judges a prod StatefulSet against the keys --policy-pack-config trusts", async () => {
        await configure({
            "signed-digest-required": { trustedKeys: ["sha256:0123456789abcdef"] },
            "rejected-digest-refused": { verifierKeys: [VERIFIER_PEM] },
        });
        assert.deepStrictEqual(
            await analyze("prod", "kubernetes:apps/v1:StatefulSet", statefulSet("sha256:0123456789abcdef")),
            [],
        );
        assert.deepStrictEqual(
            await analyze("prod", "kubernetes:apps/v1:StatefulSet", statefulSet("sha256:ffffffffffffffff")),
            [
                "signed-digest-required: stack prod requires a digest signed by a trusted key: the StatefulSet's image-release/signed-by annotation names key \"sha256:ffffffffffffffff\", which is not one of the policy pack's trusted keys (sha256:0123456789abcdef)",
            ],
        );
        await configure({});
        assert.deepStrictEqual(
            await analyze("prod", "kubernetes:apps/v1:StatefulSet", statefulSet("sha256:0123456789abcdef")),
            [
                'signed-digest-required: stack prod requires a digest signed by a trusted key, and the policy pack trusts none: run it with --policy-pack-config <file> holding {"signed-digest-required":{"trustedKeys":["sha256:<16 hex>"]}}, the ids of the release\'s public keys as `image-release verify` prints them',
                `rejected-digest-refused: stack prod refuses rejected digests, and the policy pack trusts no verifier key: run it with --policy-pack-config <file> holding {"rejected-digest-refused":{"verifierKeys":["<PEM>"]}}, the verifier public keys the stack's image-release:verifierKeys names`,
            ],
        );
        // dev is never judged for signatures, with or without keys.
        assert.deepStrictEqual(
            await analyze("dev", "kubernetes:apps/v1:StatefulSet", statefulSet("sha256:ffffffffffffffff")),
            [],
        );
    });
});
