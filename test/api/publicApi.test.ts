import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

// The published surface: the components, their args and outputs, and the error classes (issue 15).
const PUBLIC_VALUES = [
    "AttestationTooLargeError",
    "BlobNotFoundError",
    "BlobTooLargeError",
    "BuildError",
    "ChannelTag",
    "DirtyTreeError",
    "GitError",
    "ImmutableTagError",
    "MalformedManifestError",
    "ManifestNotFoundError",
    "ManifestTooLargeError",
    "MissingPlatformError",
    "MultiArchImage",
    "PartialTagError",
    "PinnedDeployment",
    "PinnedJob",
    "PullSecret",
    "Refusal",
    "RegistryAuthError",
    "RegistryDeadlineError",
    "RegistryError",
    "RegistryProtocolError",
    "RegistryUnavailableError",
    "ReleaseRuleError",
    "SigningError",
    "StackConfigError",
    "UsageRefusal",
    // sort() puts lowercase names after every capitalised one.
    "pinWorkloads",
    "releaseStack",
];

describe("public API", () => {
    it("src/index.ts exports exactly the components and the error classes", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const api = require(path.join(ROOT, "src")) as Record<string, unknown>;
        assert.deepStrictEqual(Object.keys(api).sort(), PUBLIC_VALUES);
        for (const name of PUBLIC_VALUES.filter((n) => n.endsWith("Error") || n.endsWith("Refusal"))) {
            assert.ok(
                (api[name] as { prototype: unknown }).prototype instanceof Error,
                `${name} is an Error`,
            );
        }
    });

    it("the built declarations strip the internals and still compile for a consumer @integration", function () {
        this.timeout(300_000);
        const out = fs.mkdtempSync(path.join(ROOT, ".api-check-"));
        try {
            const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
            execFileSync(tsc, ["-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", out], { cwd: ROOT });
            const dts = (f: string) => fs.readFileSync(path.join(out, f), "utf8");
            for (const [file, name] of [
                ["components/index.d.ts", "jobSpec"],
                ["components/index.d.ts", "deploymentSpec"],
                ["components/jobSpec.d.ts", "jobSpec"],
                ["components/jobSpec.d.ts", "jobBody"],
                ["components/podTemplate.d.ts", "mainContainer"],
                ["components/podTemplate.d.ts", "podTemplate"],
                ["providers/index.d.ts", "MultiArchImageResource"],
                ["providers/multiArchImage.d.ts", "class MultiArchImageResource"],
            ]) {
                // As an exported name, not as part of a module path such as "./deploymentSpec".
                const declared = new RegExp(`(^|[{,\\s])${name}([,\\s}(<:]|$)`, "m");
                assert.ok(!declared.test(dts(file)), `${file} still declares ${name}`);
            }
            // A consumer type-checks against the declarations alone (no skipLibCheck), as `npm pack` ships them.
            const consumer = path.join(out, "consumer.ts");
            fs.writeFileSync(
                consumer,
                [
                    'import * as pulumi from "@pulumi/pulumi";',
                    'import { MultiArchImage, PinnedDeployment, RegistryError } from "./index";',
                    'export const child: pulumi.CustomResource = undefined as unknown as MultiArchImage["image"];',
                    "export type Args = ConstructorParameters<typeof PinnedDeployment>[1];",
                    // The pod-template args type-check from the declarations, k8s input types included.
                    'export const full: Args = { repository: "r", digest: "d", version: "v", gitSha: "g",',
                    '    container: { env: [{ name: "A", value: pulumi.output("1") }], resources: { limits: { cpu: "1" } } },',
                    '    podSpec: { containers: [{ name: "log", image: "log@sha256:0" }], imagePullSecrets: [{ name: "p" }] },',
                    "    deploymentSpec: { minReadySeconds: 5 } };",
                    'export const isError: boolean = new RegistryError("x") instanceof Error;',
                    "",
                ].join("\n"),
            );
            execFileSync(
                tsc,
                [
                    "--noEmit",
                    "--strict",
                    "--esModuleInterop",
                    "--moduleResolution",
                    "node",
                    "--types",
                    "node",
                    consumer,
                ],
                { cwd: ROOT },
            );
        } catch (e) {
            const err = e as { stdout?: Buffer; message: string };
            throw new Error(err.stdout?.toString() || err.message);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});
