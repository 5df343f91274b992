import * as assert from "assert";
import { StackConfigError, validateStackConfig } from "../../src/stackconfig";

const D = `sha256:${"a".repeat(64)}`;
const F = "stacks/Pulumi.staging.yaml";
const KEY = "image-release:pullCredentials";
const PASSWORD = "s3cret-pull-pw";
const H = "127.0.0.1:5001";
const SET = (host: string) => `pulumi config set --secret --path '${KEY}["${host}"].password'`;

type Read = "engine" | "file";

/** Validates a staging stack whose only extra key is `image-release:pullCredentials: <value>`. */
function validate(value: unknown, read: Read, secret = true) {
    const config = {
        "image-release:repository": `${H}/team/app`,
        "image-release:digest": D,
        [KEY]: value,
    };
    // The engine hands the program decrypted values and says which keys were secrets; the file holds ciphertext.
    const options = read === "engine" ? { secretKeys: secret ? [KEY] : [] } : {};
    return validateStackConfig("staging", F, config, options);
}

describe("stackconfig: image-release:pullCredentials (registry host -> a pull credential, the password a secret)", () => {
    const good: [string, Read, unknown, unknown][] = [
        [
            "the engine's read: the decrypted password of a secret key",
            "engine",
            { [H]: { username: "puller", password: PASSWORD } },
            { [H]: { username: "puller", password: PASSWORD } },
        ],
        [
            "the file's read: the ciphertext, which only the engine decrypts",
            "file",
            { [H]: { username: "puller", password: { secure: "v1:abc=" } } },
            { [H]: { username: "puller", password: { secure: "v1:abc=" } } },
        ],
        [
            "several registries, a host name and a Docker Hub alias",
            "engine",
            {
                "ghcr.io": { username: "bot", password: "p1" },
                "index.docker.io": { username: "hub", password: "p2" },
                "localhost:5000": { username: "me", password: "p3" },
            },
            {
                "ghcr.io": { username: "bot", password: "p1" },
                "index.docker.io": { username: "hub", password: "p2" },
                "localhost:5000": { username: "me", password: "p3" },
            },
        ],
    ];
    for (const [what, read, value, want] of good) {
        it(`accepts ${what}`, () => {
            assert.deepStrictEqual(validate(value, read).pullCredentials, want);
        });
    }

    it("is absent from the config when the key is absent", () => {
        const got = validateStackConfig("staging", F, {
            "image-release:repository": `${H}/team/app`,
            "image-release:digest": D,
        });
        assert.strictEqual("pullCredentials" in got, false);
    });

    const bad: [string, Read, unknown, string][] = [
        [
            "an empty map",
            "engine",
            {},
            `${KEY}: expected a map of registry host to {username, password} (got "{}")`,
        ],
        [
            "a scalar (a password set at the wrong path)",
            "engine",
            PASSWORD,
            `${KEY}: expected a map of registry host to {username, password} (got "<redacted>")`,
        ],
        [
            "a registry with no credentials at all",
            "engine",
            { [H]: {} },
            `${KEY}["${H}"]: no credentials: set username and password (${SET(H)}) (got "")`,
        ],
        [
            "a missing username",
            "engine",
            { [H]: { password: PASSWORD } },
            `${KEY}["${H}"].username: required: the user name the cluster pulls from ${H} with (got "")`,
        ],
        [
            "an empty username",
            "engine",
            { [H]: { username: "", password: PASSWORD } },
            `${KEY}["${H}"].username: required: the user name the cluster pulls from ${H} with (got "")`,
        ],
        [
            "a missing password",
            "engine",
            { [H]: { username: "puller" } },
            `${KEY}["${H}"].password: required: the registry's pull password, a secret (${SET(H)}) (got "")`,
        ],
        [
            "an empty password",
            "file",
            { [H]: { username: "puller", password: "" } },
            `${KEY}["${H}"].password: required: the registry's pull password, a secret (${SET(H)}) (got "")`,
        ],
        [
            "a password in plain text in the file",
            "file",
            { [H]: { username: "puller", password: PASSWORD } },
            `${KEY}["${H}"].password: written in plain text; a pull password must be a secret config value (${SET(H)}) (got "<redacted>")`,
        ],
        [
            "a bad host: a URL",
            "engine",
            { "https://127.0.0.1:5001": { username: "puller", password: PASSWORD } },
            `${KEY}["https://127.0.0.1:5001"]: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io, without a scheme, path or credentials (got "https://127.0.0.1:5001")`,
        ],
        [
            "a bad host: a repository, not a host",
            "engine",
            { [`${H}/team/app`]: { username: "puller", password: PASSWORD } },
            `${KEY}["${H}/team/app"]: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io, without a scheme, path or credentials (got "${H}/team/app")`,
        ],
        [
            "a bad host: a name Docker Hub would take as its own",
            "engine",
            { registry: { username: "puller", password: PASSWORD } },
            `${KEY}["registry"]: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io; an image named registry/app is on Docker Hub, so a host needs a "." or a ":port" (got "registry")`,
        ],
        [
            "a bad host with credentials in it: redacted in the key and the value",
            "engine",
            { [`puller:${PASSWORD}@${H}`]: { username: "puller", password: PASSWORD } },
            `${KEY}["<redacted>@${H}"]: expected a registry host[:port] such as 127.0.0.1:5001 or ghcr.io, without a scheme, path or credentials (got "<redacted>@${H}")`,
        ],
        [
            "a registry given twice (Docker Hub by two names)",
            "engine",
            {
                "docker.io": { username: "hub", password: PASSWORD },
                "index.docker.io": { username: "hub", password: PASSWORD },
            },
            `${KEY}["index.docker.io"]: the same registry as "docker.io" (got "index.docker.io")`,
        ],
        [
            "an unknown field",
            "engine",
            { [H]: { username: "puller", password: PASSWORD, token: PASSWORD } },
            `${KEY}["${H}"].token: unknown key (known: username, password) (got "<redacted>")`,
        ],
        [
            "a registry entry that is not a map",
            "engine",
            { [H]: PASSWORD },
            `${KEY}["${H}"]: expected a map with username and password (got "<redacted>")`,
        ],
        [
            "a password that is not a string",
            "engine",
            { [H]: { username: "puller", password: [PASSWORD] } },
            `${KEY}["${H}"].password: expected a secret string (${SET(H)}) (got "<redacted>")`,
        ],
    ];
    for (const [what, read, value, problem] of bad) {
        it(`refuses ${what}, in one line that never holds the password`, () => {
            assert.throws(
                () => validate(value, read),
                (e: unknown) => {
                    assert.ok(e instanceof StackConfigError);
                    assert.deepStrictEqual(e.problems, [`${F}: ${problem}`]);
                    assert.ok(!e.message.includes(PASSWORD), e.message);
                    return true;
                },
            );
        });
    }

    it("refuses a password the engine did not hold as a secret (set without --secret)", () => {
        assert.throws(() => validate({ [H]: { username: "puller", password: PASSWORD } }, "engine", false), {
            name: "StackConfigError",
            message: `${F}: ${KEY}["${H}"].password: written in plain text; a pull password must be a secret config value (${SET(H)}) (got "<redacted>")`,
        });
    });

    it("refuses ciphertext where the engine should have decrypted it", () => {
        assert.throws(() => validate({ [H]: { username: "u", password: { secure: "v1:abc=" } } }, "engine"), {
            name: "StackConfigError",
            message: `${F}: ${KEY}["${H}"].password: expected a secret string (${SET(H)}) (got "<redacted>")`,
        });
    });

    it("lists every registry's problem, one line each, in host order", () => {
        const value = { "b.example.com": { username: "u" }, "a.example.com": { password: PASSWORD } };
        assert.throws(
            () => validate(value, "engine"),
            (e: unknown) => {
                assert.ok(e instanceof StackConfigError);
                assert.deepStrictEqual(e.problems, [
                    `${F}: ${KEY}["a.example.com"].username: required: the user name the cluster pulls from a.example.com with (got "")`,
                    `${F}: ${KEY}["b.example.com"].password: required: the registry's pull password, a secret (${SET("b.example.com")}) (got "")`,
                ]);
                return true;
            },
        );
    });
});
