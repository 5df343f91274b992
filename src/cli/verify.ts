import * as fs from "fs";
import * as semver from "semver";
import { listStacks, StackConfigError, StackImageConfig, stackFile } from "../stackconfig";
import { CliDeps, loadStack, StackOptions } from "./context";
import { mapLimit } from "./status";

export interface VerifyOptions extends StackOptions {
    /** Check only this version's tags; default every X.Y.Z tag in each repository. */
    version?: string;
}

export interface VerifyResult {
    ok: boolean;
    findings: string[];
}

/**
 * Findings, not exceptions: the point of `verify` is to list everything wrong at once, so a broken
 * stack file becomes a finding and the other checks still run.
 */
export async function verify(o: VerifyOptions, deps: CliDeps): Promise<VerifyResult> {
    const findings: string[] = [];
    const stacks: StackImageConfig[] = [];
    for (const name of listStacks(o.stacksDir)) {
        const text = fs.readFileSync(stackFile(o.stacksDir, name), "utf8");
        if (/(^|[\s:"'])latest(["'\s]|$)/m.test(text.replace(/#.*$/gm, ""))) {
            findings.push(`stack ${name} uses the latest tag`);
        }
        try {
            stacks.push(loadStack(o, name));
        } catch (e) {
            if (!(e instanceof StackConfigError)) throw e;
            findings.push(...(e.problems.length > 0 ? e.problems : [e.message]));
        }
    }
    for (const s of stacks) {
        if (s.promoteFrom !== undefined && s.digest === undefined) {
            findings.push(`stack ${s.stack} does not pin a digest (image-release:digest)`);
        }
    }
    const repos = [...new Set(stacks.map((s) => s.repository))].sort();
    for (const repo of repos) {
        const all = await deps.client.listTags(repo);
        const releases = all.filter((t) => semver.valid(t) === t);
        const versions = o.version ? [o.version] : releases.sort(semver.compare);
        for (const v of versions) {
            const [maj, min] = v.split(".");
            // Floating tags X.Y and X belong to the highest release in their line only.
            const sameMinor = releases.filter((r) => r.startsWith(`${maj}.${min}.`) && !semver.prerelease(r));
            const sameMajor = releases.filter((r) => r.startsWith(`${maj}.`) && !semver.prerelease(r));
            const family = [v];
            if (semver.maxSatisfying(sameMinor, "*") === v) family.push(`${maj}.${min}`);
            if (semver.maxSatisfying(sameMajor, "*") === v) family.push(maj);
            const heads = await mapLimit(family, 16, async (t) => ({
                t,
                h: await deps.client.headManifest(repo, t),
            }));
            const want = heads[0].h?.digest;
            if (!want) {
                findings.push(`${repo}: tag ${v} not found`);
                continue;
            }
            for (const { t, h } of heads.slice(1)) {
                if (!h) findings.push(`${repo}: tag ${t} missing (expected ${want}, the digest of ${v})`);
                else if (h.digest !== want)
                    findings.push(`${repo}: tag ${t} points at ${h.digest}, but ${v} is ${want}`);
            }
        }
    }
    return { ok: findings.length === 0, findings };
}
