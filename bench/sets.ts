import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promote, releaseSet, status } from "../src/flows";
import { contextCommitInfo } from "../src/release";
import { RegistryClient } from "../src/registry";
import { pushTestImage, TestImage } from "../test/fixtures/registry/testImage";
import { deleteRepoManifests, median, timed } from "./measure";

/** The set sizes the issue names; each figure is the largest over the smallest. */
export const SET_SIZES = [1, 4, 16];
const RUNS = 3;

export interface SetScaleRow {
    images: number;
    /** `release --stack dev` when no context changed: the records say what each context was built as. */
    releaseSeconds: number;
    /** `promote --from staging --to prod --dry-run`: the combination's proof and every pin check. */
    promoteSeconds: number;
    /** `status` over dev, staging and prod, one row per image. */
    statusSeconds: number;
}

export interface SetScaleResult {
    rows: SetScaleRow[];
}

const git = (dir: string, args: string[]) =>
    execFileSync("git", args, {
        cwd: dir,
        env: {
            ...process.env,
            GIT_AUTHOR_NAME: "bench",
            GIT_AUTHOR_EMAIL: "b@x",
            GIT_COMMITTER_NAME: "bench",
            GIT_COMMITTER_EMAIL: "b@x",
        },
    });

function members(n: number, body: (name: string) => string[]): string[] {
    return Array.from({ length: n }, (_, i) => [`    img${i}:`, ...body(`img${i}`)]).flat();
}

/** A repository whose dev builds `n` images, and whose staging and prod pin two combinations of them. */
function writeRepo(n: number, repo: string, old: TestImage[], fresh: TestImage[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `image-release-bench-set${n}-`));
    fs.mkdirSync(path.join(dir, "stacks"));
    git(dir, ["init", "-q", "-b", "main"]);
    fs.writeFileSync(path.join(dir, "version.json"), '{ "version": "1.0.0" }\n');
    const stack = (env: string, lines: string[]) =>
        fs.writeFileSync(
            path.join(dir, "stacks", `Pulumi.${env}.yaml`),
            ["config:", ...lines, ""].join("\n"),
        );
    const pins = (set: TestImage[], from: string) =>
        members(n, (name) => {
            const i = Number(name.slice(3));
            return [
                `      repository: ${repo}/${name}`,
                `      digest: ${set[i].indexDigest}`,
                "      version: 1.0.0",
                '      gitSha: "0123abc"',
                `      promotedFrom: ${from}`,
            ];
        });
    for (let i = 0; i < n; i++) {
        fs.mkdirSync(path.join(dir, `img${i}`));
        fs.writeFileSync(path.join(dir, `img${i}`, "Dockerfile"), `FROM scratch\nLABEL n=${i}\n`);
    }
    stack("dev", [
        "  image-release:channel: dev",
        "  image-release:images:",
        ...members(n, (name) => [`      repository: ${repo}/${name}`, `      build: {context: ${name}}`]),
    ]);
    stack("staging", [
        "  image-release:channel: staging",
        "  image-release:promoteFrom: dev",
        "  image-release:images:",
        ...pins(fresh, "dev"),
    ]);
    stack("prod", [
        "  image-release:channel: prod",
        "  image-release:promoteFrom: staging",
        '  image-release:requireSignature: "false"',
        // The figure is the set's pin checks at scale, as before 4.0.0 made verification prod's default;
        // verified promotion (evidence reads per member) has its own tests.
        '  image-release:requireVerification: "false"',
        "  image-release:images:",
        ...pins(old, "staging"),
    ]);
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", "a set"]);
    // What `release --stack dev` recorded when it last built each context: nothing changed since.
    const records = Object.fromEntries(
        Array.from({ length: n }, (_, i) => {
            const img = fresh[i];
            const record = {
                repository: `${repo}/img${i}`,
                version: "1.0.0",
                digest: img.indexDigest,
                ref: `${repo}/img${i}@${img.indexDigest}`,
                tags: ["1.0.0"],
                platforms: ["linux/amd64", "linux/arm64"],
                platformDigests: img.platformDigests,
                gitSha: contextCommitInfo(path.join(dir, `img${i}`)).sha,
                sourceStack: "dev",
            };
            return [`img${i}`, record];
        }),
    );
    fs.mkdirSync(path.join(dir, ".image-release", "outputs"), { recursive: true });
    fs.writeFileSync(
        path.join(dir, ".image-release", "outputs", "dev.releases.json"),
        JSON.stringify(records),
    );
    return dir;
}

async function measure<T>(fn: () => Promise<T>): Promise<number> {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) times.push((await timed(fn)).seconds);
    return median(times);
}

/**
 * `release`, `promote` and `status` of a set of 1, 4 and 16 images, side by side in one run: what each
 * costs per image (one git cat-file for the set, a pin check per image, a HEAD per row).
 */
export async function benchSets(client: RegistryClient): Promise<SetScaleResult> {
    const repo = `127.0.0.1:5000/bench/sets-${randomBytes(4).toString("hex")}`;
    const rows: SetScaleRow[] = [];
    const pushed: TestImage[][] = [];
    const dirs: string[] = [];
    try {
        for (const n of SET_SIZES) {
            const old = await Promise.all(
                Array.from({ length: n }, (_, i) => pushTestImage(client, `${repo}/img${i}`, `old-${i}`)),
            );
            const fresh = await Promise.all(
                Array.from({ length: n }, (_, i) => pushTestImage(client, `${repo}/img${i}`, `new-${i}`)),
            );
            pushed.push(old, fresh);
            // The channel tags where promotion leaves them: dev and staging on the fresh set, prod on the old.
            await Promise.all(
                Array.from({ length: n }, async (_, i) => {
                    for (const [tag, img] of [
                        ["dev", fresh[i]],
                        ["staging", fresh[i]],
                        ["prod", old[i]],
                    ] as const)
                        await client.retag(`${repo}/img${i}`, img.indexDigest, tag);
                }),
            );
            const dir = writeRepo(n, repo, old, fresh);
            dirs.push(dir);
            const o = { repoRoot: dir, stacksDir: path.join(dir, "stacks") };
            const noBuild = () => Promise.reject(new Error("a context changed: the bench expects no build"));
            rows.push({
                images: n,
                releaseSeconds: await measure(() =>
                    releaseSet({ ...o, stack: "dev" }, { client, publish: noBuild }),
                ),
                promoteSeconds: await measure(() =>
                    promote(
                        { ...o, from: "staging", to: "prod", dryRun: true },
                        { client, stackOutputs: async () => undefined },
                    ),
                ),
                statusSeconds: await measure(() => status(o, { client })),
            });
        }
    } finally {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        for (const set of pushed) {
            for (const [i, img] of set.entries()) {
                await deleteRepoManifests(client, `${repo}/img${i}`, [
                    img.indexDigest,
                    ...Object.values(img.platformDigests),
                ]);
            }
        }
    }
    return { rows };
}
