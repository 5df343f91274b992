import * as assert from "assert";
import {
    buildRecordTag,
    inTagSetOrder,
    isBuildRecordTag,
    isGitTag,
    computeTagSet,
    copiedTags,
    gitTag,
    isChannelTag,
    isImmutableTag,
    supersededFloatingTags,
    TagSetOptions,
} from "../../src/release";

const SHA = "0123abc4567890def0123abc4567890def012345";

describe("computeTagSet", () => {
    const cases: {
        name: string;
        in: TagSetOptions;
        tags: string[];
        floating?: string[];
        notes?: string[];
    }[] = [
        {
            name: "release",
            in: { version: "1.4.2", gitSha: SHA },
            tags: ["1.4.2", "1.4", "1", "git-0123abc"],
        },
        {
            name: "pre-release gets only its full version and git",
            in: { version: "2.0.0-rc.1", gitSha: SHA },
            tags: ["2.0.0-rc.1", "git-0123abc"],
            floating: [],
        },
        {
            name: "0.x has no bare 0",
            in: { version: "0.3.1", gitSha: SHA },
            tags: ["0.3.1", "0.3", "git-0123abc"],
        },
        {
            name: "0.x with includeMajorZero",
            in: { version: "0.3.1", gitSha: SHA, includeMajorZero: true },
            tags: ["0.3.1", "0.3", "0", "git-0123abc"],
        },
        {
            name: "build metadata mapped to _",
            in: { version: "1.4.2+build5", gitSha: SHA, buildMetadata: "underscore" },
            tags: ["1.4.2_build5", "1.4", "1", "git-0123abc"],
            notes: ['mapped build metadata "+build5" to "_build5" in tag "1.4.2_build5"'],
        },
        {
            name: "leading v stripped and said",
            in: { version: "v1.4.2", gitSha: SHA },
            tags: ["1.4.2", "1.4", "1", "git-0123abc"],
            notes: ['stripped leading "v" from version "v1.4.2"'],
        },
        {
            name: "channel dev",
            in: { version: "1.4.2", gitSha: SHA, channel: "dev" },
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "dev"],
            floating: ["1.4", "1", "dev"],
        },
        {
            name: "channel prod",
            in: { version: "1.4.2", gitSha: SHA, channel: "prod" },
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "prod"],
        },
        {
            name: "channel staging on a pre-release",
            in: { version: "2.0.0-rc.1", gitSha: SHA, channel: "staging" },
            tags: ["2.0.0-rc.1", "git-0123abc", "staging"],
        },
        {
            name: "latest when allowed",
            in: { version: "1.4.2", gitSha: SHA, allowLatest: true },
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "latest"],
            floating: ["1.4", "1", "latest"],
        },
        {
            name: "latest with channel dev",
            in: { version: "1.4.2", gitSha: SHA, channel: "dev", allowLatest: true },
            tags: ["1.4.2", "1.4", "1", "git-0123abc", "dev", "latest"],
        },
        {
            name: "no latest by default",
            in: { version: "1.4.2", gitSha: SHA, allowLatest: false },
            tags: ["1.4.2", "1.4", "1", "git-0123abc"],
        },
        {
            name: "pre-release never moves latest",
            in: { version: "2.0.0-rc.1", gitSha: SHA, allowLatest: true },
            tags: ["2.0.0-rc.1", "git-0123abc"],
            notes: ['not moving "latest": 2.0.0-rc.1 is a pre-release'],
        },
        {
            name: "uppercase sha lowercased, 7 chars used",
            in: { version: "1.4.2", gitSha: "ABCDEF0" },
            tags: ["1.4.2", "1.4", "1", "git-abcdef0"],
        },
        {
            name: "issue #326: 1.2.9 after 1.3.0 moves 1.2 but not 1 or latest",
            in: {
                version: "1.2.9",
                gitSha: SHA,
                allowLatest: true,
                onlyIfHighest: { existingTags: ["1.2.8", "1.3.0", "1.3", "1", "latest", "git-fffffff"] },
            },
            tags: ["1.2.9", "1.2", "git-0123abc"],
            floating: ["1.2"],
            notes: [
                'not moving "1": 1.3.0 is higher than 1.2.9',
                'not moving "latest": 1.3.0 is higher than 1.2.9',
            ],
        },
        {
            name: "old major patch moves 1.x scope but not latest",
            in: {
                version: "1.4.3",
                gitSha: SHA,
                allowLatest: true,
                onlyIfHighest: { existingTags: ["1.4.2", "2.0.0", "2", "latest"] },
            },
            tags: ["1.4.3", "1.4", "1", "git-0123abc"],
            notes: ['not moving "latest": 2.0.0 is higher than 1.4.3'],
        },
        {
            name: "old patch in its minor does not move X.Y",
            in: { version: "1.4.1", gitSha: SHA, onlyIfHighest: { existingTags: ["1.4.2"] } },
            tags: ["1.4.1", "git-0123abc"],
            notes: [
                'not moving "1.4": 1.4.2 is higher than 1.4.1',
                'not moving "1": 1.4.2 is higher than 1.4.1',
            ],
        },
        {
            name: "highest moves everything; pre-release and v-tags considered",
            in: {
                version: "1.5.0",
                gitSha: SHA,
                allowLatest: true,
                onlyIfHighest: { existingTags: ["v1.4.9", "2.0.0-rc.1", "1.4", "latest"] },
            },
            tags: ["1.5.0", "1.5", "1", "git-0123abc", "latest"],
            notes: [],
        },
        {
            name: "re-release of the same version is still highest",
            in: { version: "1.4.2", gitSha: SHA, onlyIfHighest: { existingTags: ["1.4.2"] } },
            tags: ["1.4.2", "1.4", "1", "git-0123abc"],
        },
        {
            name: "no existing tags moves all",
            in: { version: "3.0.0", gitSha: SHA, allowLatest: true, onlyIfHighest: { existingTags: [] } },
            tags: ["3.0.0", "3.0", "3", "git-0123abc", "latest"],
        },
        {
            name: "existing mapped build tag counts",
            in: { version: "1.4.1", gitSha: SHA, onlyIfHighest: { existingTags: ["1.4.2_build5"] } },
            tags: ["1.4.1", "git-0123abc"],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const got = computeTagSet(c.in);
            assert.deepStrictEqual(got.tags, c.tags);
            if (c.floating !== undefined) {
                assert.deepStrictEqual(got.floating, c.floating);
            }
            if (c.notes !== undefined) {
                assert.deepStrictEqual(got.notes, c.notes);
            }
            for (const t of got.tags) {
                assert.match(t, /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
            }
            assert.deepStrictEqual([...got.immutable, ...got.floating].sort(), [...got.tags].sort());
        });
    }

    it("reports version without v and build", () => {
        const got = computeTagSet({ version: "v1.4.2+build5", gitSha: SHA, buildMetadata: "underscore" });
        assert.strictEqual(got.version, "1.4.2");
        assert.deepStrictEqual(got.immutable, ["1.4.2_build5", "git-0123abc"]);
    });

    const errors: { name: string; in: TagSetOptions; message: string }[] = [
        {
            name: "build metadata refused by default",
            in: { version: "1.4.2+build5", gitSha: SHA },
            message:
                'version "1.4.2+build5" has build metadata "+build5", which is not valid in an image tag; drop it or set buildMetadata: "underscore"',
        },
        {
            name: "not semver",
            in: { version: "1.4", gitSha: SHA },
            message: 'version "1.4" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "garbage version",
            in: { version: "latest", gitSha: SHA },
            message: 'version "latest" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "= prefix",
            in: { version: "=1.4.2", gitSha: SHA },
            message: 'version "=1.4.2" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "leading zero",
            in: { version: "01.4.2", gitSha: SHA },
            message: 'version "01.4.2" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "empty version",
            in: { version: "", gitSha: SHA },
            message: 'version "" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "unknown channel",
            in: { version: "1.4.2", gitSha: SHA, channel: "qa" as "dev" },
            message: 'channel "qa" is not one of dev, staging, prod',
        },
        {
            name: "latest with staging",
            in: { version: "1.4.2", gitSha: SHA, channel: "staging", allowLatest: true },
            message:
                '"latest" is not allowed with channel "staging" (only dev or no channel may move latest)',
        },
        {
            name: "latest with prod",
            in: { version: "1.4.2", gitSha: SHA, channel: "prod", allowLatest: true },
            message: '"latest" is not allowed with channel "prod" (only dev or no channel may move latest)',
        },
        {
            name: "short sha",
            in: { version: "1.4.2", gitSha: "0123ab" },
            message: 'git sha "0123ab" is not 7-40 hex characters',
        },
        {
            name: "non-hex sha",
            in: { version: "1.4.2", gitSha: "0123abz" },
            message: 'git sha "0123abz" is not 7-40 hex characters',
        },
        {
            name: "41-char sha",
            in: { version: "1.4.2", gitSha: SHA + "0" },
            message: `git sha "${SHA}0" is not 7-40 hex characters`,
        },
        {
            name: "tag longer than 128 chars",
            in: { version: `1.0.0-${"a".repeat(130)}`, gitSha: SHA },
            message: `tag "1.0.0-${"a".repeat(130)}" is not a valid OCI tag (expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`,
        },
        {
            name: "unknown buildMetadata mode",
            in: { version: "1.4.2", gitSha: SHA, buildMetadata: "plus" as "refuse" },
            message: 'buildMetadata "plus" is not one of refuse, underscore',
        },
    ];
    for (const c of errors) {
        it(`refuses: ${c.name}`, () => {
            assert.throws(
                () => computeTagSet(c.in),
                (e: Error) => {
                    assert.strictEqual(e.name, "ReleaseRuleError");
                    assert.strictEqual(e.message, c.message);
                    return true;
                },
            );
        });
    }
});

describe("isImmutableTag", () => {
    const cases: [string, boolean][] = [
        ["1.4.2", true],
        ["2.0.0-rc.1", true],
        ["1.4.2_build5", true],
        ["git-0123abc", true],
        ["1.4", false],
        ["1", false],
        ["latest", false],
        ["prod", false],
        ["git-xyz", false],
    ];
    for (const [tag, want] of cases) {
        it(`${tag} -> ${String(want)}`, () => assert.strictEqual(isImmutableTag(tag), want));
    }
});

// One rule for the tags a copied digest carries: the CLI's promotion copy and `pulumi up` of a pin with
// a sourceRepository both call it, so a 40-hex gitSha gives the same git-<7> tag either way.
describe("copiedTags", () => {
    const rows: { name: string; version: string; gitSha: string; want?: string[]; error?: string }[] = [
        { name: "7-hex sha", version: "1.4.2", gitSha: "0123abc", want: ["1.4.2", "git-0123abc"] },
        { name: "40-hex sha", version: "1.4.2", gitSha: SHA, want: ["1.4.2", "git-0123abc"] },
        { name: "uppercase sha", version: "1.4.2", gitSha: "ABCDEF0123", want: ["1.4.2", "git-abcdef0"] },
        { name: "pre-release", version: "2.0.0-rc.1", gitSha: SHA, want: ["2.0.0-rc.1", "git-0123abc"] },
        { name: "leading v", version: "v1.4.2", gitSha: SHA, want: ["1.4.2", "git-0123abc"] },
        {
            name: "not semver",
            version: "1.4",
            gitSha: SHA,
            error: 'version "1.4" is not a semver version (expected X.Y.Z[-pre][+build])',
        },
        {
            name: "build metadata",
            version: "1.4.2+b5",
            gitSha: SHA,
            error: 'version "1.4.2+b5" has build metadata "+b5", which is not valid in an image tag; drop it or set buildMetadata: "underscore"',
        },
        {
            name: "short sha",
            version: "1.4.2",
            gitSha: "0123ab",
            error: 'git sha "0123ab" is not 7-40 hex characters',
        },
    ];
    for (const r of rows) {
        it(`${r.name}: ${r.version} ${r.gitSha} -> ${r.want ? `[${r.want.join(", ")}]` : "refused"}`, () => {
            if (r.want) assert.deepStrictEqual(copiedTags(r.version, r.gitSha), r.want);
            else
                assert.throws(() => copiedTags(r.version, r.gitSha), {
                    name: "ReleaseRuleError",
                    message: r.error,
                });
        });
    }
    it("names exactly the immutable tags of the release's tag set", () => {
        for (const r of rows.filter((x) => x.want)) {
            const set = computeTagSet({ version: r.version, gitSha: r.gitSha, channel: "prod" });
            assert.deepStrictEqual(copiedTags(r.version, r.gitSha), set.immutable);
            assert.ok(set.immutable.every((t) => isImmutableTag(t)));
        }
    });
});

describe("gitTag", () => {
    const rows: [string, string][] = [
        ["0123abc", "git-0123abc"],
        [SHA, "git-0123abc"],
        ["ABCDEF0", "git-abcdef0"],
    ];
    for (const [sha, want] of rows) it(`${sha} -> ${want}`, () => assert.strictEqual(gitTag(sha), want));
    it("refuses a non-sha", () =>
        assert.throws(() => gitTag("main"), { message: 'git sha "main" is not 7-40 hex characters' }));
});

describe("isChannelTag", () => {
    const cases: [string, boolean][] = [
        ["staging", true],
        ["prod", true],
        ["canary-eu", true],
        ["git-0123abc", false],
        ["git-main", false],
        ["1.4.2", false],
        ["Prod", false],
        ["-x", false],
        ["", false],
        ["a".repeat(129), false],
        // A build record is never a channel a stack could move.
        [`buildkey-${"a".repeat(64)}`, false],
        ["buildkeys", true],
    ];
    for (const [tag, want] of cases) {
        it(`${tag.length > 20 ? `${tag.length} chars` : JSON.stringify(tag)} -> ${String(want)}`, () =>
            assert.strictEqual(isChannelTag(tag), want));
    }
});

describe("buildRecordTag / isBuildRecordTag: where the registry files a build key", () => {
    const KEY = "0123456789abcdef".repeat(4);
    it("files a 64-hex key as buildkey-<key>, a valid OCI tag of 73 characters", () => {
        assert.strictEqual(buildRecordTag(KEY), `buildkey-${KEY}`);
        assert.strictEqual(buildRecordTag(KEY).length, 73);
    });
    it("refuses anything else, naming it", () => {
        for (const bad of ["", KEY.toUpperCase(), KEY.slice(1), `sha256:${KEY}`]) {
            assert.throws(() => buildRecordTag(bad), {
                message: `build key "${bad}" is not 64 lowercase hex characters`,
            });
        }
    });
    const cases: [string, boolean][] = [
        [`buildkey-${KEY}`, true],
        [`buildkey-${KEY.slice(1)}`, false],
        [`buildkey-${KEY}0`, false],
        ["1.4.2", false],
        ["staging", false],
    ];
    for (const [tag, want] of cases) {
        it(`isBuildRecordTag(${tag.slice(0, 20)}…) -> ${String(want)}`, () =>
            assert.strictEqual(isBuildRecordTag(tag), want));
    }
});

describe("supersededFloatingTags (metadata-action#326)", () => {
    const rows: { version: string; existing: string[]; want: string[] }[] = [
        { version: "1.4.2", existing: [], want: [] },
        { version: "1.4.2", existing: ["1.4.1", "1.3.0", "1", "latest"], want: [] },
        { version: "1.3.5", existing: ["1.4.2", "1.3.4"], want: ["1", "latest"] },
        { version: "1.3.5", existing: ["1.3.6"], want: ["1.3", "1", "latest"] },
        { version: "1.9.1", existing: ["2.0.0"], want: ["latest"] },
        { version: "2.0.0", existing: ["2.0.0-rc.1", "1.9.9"], want: [] },
        { version: "1.3.5", existing: ["git-0123abc", "staging", "1.4"], want: [] },
        { version: "0.3.1", existing: ["0.4.0"], want: ["0", "latest"] },
        { version: "2.0.0-rc.2", existing: ["1.0.0"], want: [] },
    ];
    for (const r of rows)
        it(`${r.version} over [${r.existing.join(", ")}] -> [${r.want.join(", ")}]`, () =>
            assert.deepStrictEqual(supersededFloatingTags(r.version, r.existing), r.want));
});

describe("inTagSetOrder (the one order notes and PRs list tags in)", () => {
    const rows: { version: string; tags: string[]; want: string[] }[] = [
        {
            version: "1.4.2",
            tags: ["staging", "git-0123abc", "1", "1.4", "dev", "1.4.2"],
            want: ["1.4.2", "1.4", "1", "git-0123abc", "dev", "staging"],
        },
        { version: "v2.0.0", tags: ["2", "2.0.0", "2.0"], want: ["2.0.0", "2.0", "2"] },
        { version: "1.5.0-rc.1", tags: ["git-aaaaaaa", "1.5.0-rc.1"], want: ["1.5.0-rc.1", "git-aaaaaaa"] },
        { version: "1.4.2", tags: [], want: [] },
    ];
    for (const r of rows)
        it(`${r.version}: [${r.tags.join(", ")}]`, () =>
            assert.deepStrictEqual(inTagSetOrder(r.tags, r.version), r.want));
});

describe("isGitTag", () => {
    const rows: [string, boolean][] = [
        ["git-0123abc", true],
        ["git-0123abc4567890def0123abc4567890def012345", true],
        ["1.4.2", false],
        ["staging", false],
        ["gitlab", false],
    ];
    for (const [tag, want] of rows) it(`${tag} -> ${want}`, () => assert.strictEqual(isGitTag(tag), want));
});
