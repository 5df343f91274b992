import * as assert from "assert";
import { PulumiLoginInput, pulumiLoginProblems } from "../../src/release";

const STAGING = { stack: "staging", file: "stacks/Pulumi.staging.yaml", encryptionsalt: false };
const PASS = "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE";

describe("pulumiLoginProblems: what the Pulumi CLI would stop to ask for", () => {
    const rows: [string, PulumiLoginInput, string[]][] = [
        [
            "a file backend and a passphrase",
            { env: { PULUMI_BACKEND_URL: "file:///s", PULUMI_CONFIG_PASSPHRASE: "" }, stacks: [STAGING] },
            [],
        ],
        [
            "no backend anywhere",
            { env: {}, login: { tokens: [] }, stacks: [{ ...STAGING, secretsprovider: "awskms://k" }] },
            ["no Pulumi backend: set PULUMI_BACKEND_URL or run `pulumi login <backend-url>`"],
        ],
        [
            "Pulumi.yaml's backend.url counts",
            { env: { PULUMI_CONFIG_PASSPHRASE: "x" }, projectBackend: "s3://b", stacks: [STAGING] },
            [],
        ],
        [
            "a `pulumi login` with a token",
            {
                env: {},
                login: { current: "https://api.pulumi.com", tokens: ["https://api.pulumi.com"] },
                stacks: [STAGING],
            },
            [],
        ],
        [
            "a service backend without a token",
            { env: { PULUMI_BACKEND_URL: "https://api.pulumi.com" }, stacks: [STAGING] },
            [
                "not logged in to https://api.pulumi.com: set PULUMI_ACCESS_TOKEN or run `pulumi login https://api.pulumi.com`",
            ],
        ],
        [
            "a new stack on a file backend needs a passphrase",
            { env: { PULUMI_BACKEND_URL: "file:///s" }, stacks: [STAGING] },
            [
                `no passphrase for the secrets of stack "staging" (stacks/Pulumi.staging.yaml: a new stack on file:///s): ${PASS}`,
            ],
        ],
        [
            "encryptionsalt on a service backend needs one; a KMS stack does not",
            {
                env: { PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_ACCESS_TOKEN: "t" },
                stacks: [
                    { ...STAGING, encryptionsalt: true },
                    {
                        stack: "prod",
                        file: "stacks/Pulumi.prod.yaml",
                        encryptionsalt: false,
                        secretsprovider: "gcpkms://k",
                    },
                ],
            },
            [
                `no passphrase for the secrets of stack "staging" (stacks/Pulumi.staging.yaml: encryptionsalt): ${PASS}`,
            ],
        ],
        [
            "a passphrase file that exists",
            {
                env: { PULUMI_BACKEND_URL: "file:///s", PULUMI_CONFIG_PASSPHRASE_FILE: "/p" },
                passphraseFileExists: true,
                stacks: [STAGING],
            },
            [],
        ],
    ];
    for (const [name, input, problems] of rows) {
        it(name, () => assert.deepStrictEqual(pulumiLoginProblems(input), problems));
    }
});
