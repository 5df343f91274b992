import * as assert from "assert";
import { builderAddressProblem, parseBuilderFlags, releaseBuilders } from "../../src/release";

const TCP_OR_UNIX = "expected tcp://<host>:<port> or unix:///<path>, e.g. tcp://127.0.0.1:12340";

describe("remote builders: the address rule, --builder flags and the stack's map", () => {
    const addresses: [string, string | undefined][] = [
        ["tcp://127.0.0.1:12340", undefined],
        ["tcp://buildkit-arm64.internal:1234", undefined],
        ["tcp://[::1]:1234", undefined],
        ["unix:///run/buildkit/buildkitd.sock", undefined],
        ["tcp://127.0.0.1:0", "port 0 is not 1-65535"],
        ["tcp://127.0.0.1:65536", "port 65536 is not 1-65535"],
        ["tcp://127.0.0.1", TCP_OR_UNIX],
        ["127.0.0.1:12340", TCP_OR_UNIX],
        ["docker-container://buildkitd", TCP_OR_UNIX],
        ["unix://relative.sock", TCP_OR_UNIX],
        ["", TCP_OR_UNIX],
    ];
    for (const [address, want] of addresses) {
        it(`address "${address}": ${want ?? "accepted"}`, () =>
            assert.strictEqual(builderAddressProblem(address), want));
    }

    const flags: { flags: string[]; builders: Record<string, string>; problems: string[] }[] = [
        {
            flags: ["linux/arm64=tcp://127.0.0.1:12340", "linux/amd64=unix:///b.sock"],
            builders: { "linux/arm64": "tcp://127.0.0.1:12340", "linux/amd64": "unix:///b.sock" },
            problems: [],
        },
        {
            flags: ["tcp://127.0.0.1:12340"],
            builders: {},
            problems: [
                '--builder "tcp://127.0.0.1:12340": expected <os/arch>=<address>, e.g. linux/arm64=tcp://127.0.0.1:12340',
            ],
        },
        {
            flags: ["linux/ARM64=tcp://127.0.0.1:1"],
            builders: {},
            problems: [
                '--builder "linux/ARM64=tcp://127.0.0.1:1": builder platform "linux/ARM64" is not os/arch[/variant], e.g. linux/arm64',
            ],
        },
        {
            flags: ["linux/arm64"],
            builders: {},
            problems: [
                '--builder "linux/arm64": expected <os/arch>=<address>, e.g. linux/arm64=tcp://127.0.0.1:12340',
            ],
        },
        {
            flags: ["=tcp://127.0.0.1:1"],
            builders: {},
            problems: [
                '--builder "=tcp://127.0.0.1:1": expected <os/arch>=<address>, e.g. linux/arm64=tcp://127.0.0.1:12340',
            ],
        },
        {
            flags: ["linux/arm64=tcp://127.0.0.1:1", "linux/arm64=tcp://127.0.0.1:2"],
            builders: { "linux/arm64": "tcp://127.0.0.1:1" },
            problems: ['--builder "linux/arm64=tcp://127.0.0.1:2": linux/arm64 is given a builder twice'],
        },
        {
            flags: ["linux/arm64=http://127.0.0.1:1"],
            builders: {},
            problems: [
                `--builder "linux/arm64=http://127.0.0.1:1": builder for linux/arm64 "http://127.0.0.1:1": ${TCP_OR_UNIX}`,
            ],
        },
    ];
    for (const r of flags) {
        it(`--builder ${r.flags.join(" ")}`, () =>
            assert.deepStrictEqual(parseBuilderFlags(r.flags), {
                builders: r.builders,
                problems: r.problems,
            }));
    }

    const merges: {
        name: string;
        configured: Record<string, string>;
        flags: Record<string, string>;
        platforms: string[];
        want: { builders: Record<string, string>; problems: string[] };
    }[] = [
        {
            name: "a flag overrides the stack's builder for its platform",
            configured: { "linux/arm64": "tcp://a:1", "linux/amd64": "tcp://b:1" },
            flags: { "linux/arm64": "tcp://c:1" },
            platforms: ["linux/amd64", "linux/arm64"],
            want: { builders: { "linux/amd64": "tcp://b:1", "linux/arm64": "tcp://c:1" }, problems: [] },
        },
        {
            name: "a stack's builder for a platform the release does not build is not used",
            configured: { "linux/arm64": "tcp://a:1" },
            flags: {},
            platforms: ["linux/amd64"],
            want: { builders: {}, problems: [] },
        },
        {
            name: "a flag for a platform the release does not build is refused",
            configured: {},
            flags: { "linux/riscv64": "tcp://a:1" },
            platforms: ["linux/amd64", "linux/arm64"],
            want: {
                builders: {},
                problems: [
                    '--builder "linux/riscv64=tcp://a:1": linux/riscv64 is not a platform this release builds (linux/amd64, linux/arm64)',
                ],
            },
        },
    ];
    for (const r of merges) {
        it(r.name, () => assert.deepStrictEqual(releaseBuilders(r.configured, r.flags, r.platforms), r.want));
    }
});
