import { showValue } from "./display";
import { isPlatformName } from "./platforms";

/*
 * Remote builders: a platform built on a BuildKit daemon instead of the local engine. One rule for
 * both the stack config (`image-release:builders`) and the CLI (`release --builder`).
 */

/** Platform (`linux/arm64`) to the BuildKit address that builds it. */
export type Builders = Record<string, string>;

export const BUILDER_EXAMPLE = "linux/arm64=tcp://127.0.0.1:12340";

/**
 * What is wrong with a BuildKit address, or undefined: `tcp://<host>:<port>` or `unix:///<path>`,
 * the two that buildctl dials without more setup (no TLS material, no container driver).
 */
export function builderAddressProblem(address: string): string | undefined {
    const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(address);
    if (tcp) {
        const port = Number(tcp[2]);
        return port >= 1 && port <= 65535 ? undefined : `port ${tcp[2]} is not 1-65535`;
    }
    if (/^unix:\/\/\/[^\s]+$/.test(address)) return undefined;
    return "expected tcp://<host>:<port> or unix:///<path>, e.g. tcp://127.0.0.1:12340";
}

/** The problems of a platform → address map, each naming its bad value; `where` names its source. */
export function builderProblems(builders: Record<string, unknown>, where: string): string[] {
    const problems: string[] = [];
    for (const [platform, address] of Object.entries(builders)) {
        if (!isPlatformName(platform)) {
            problems.push(
                `${where}: builder platform "${showValue(platform)}" is not os/arch[/variant], e.g. linux/arm64`,
            );
        }
        if (typeof address !== "string") {
            problems.push(
                `${where}: builder for ${platform}: expected an address string (got "${showValue(address)}")`,
            );
            continue;
        }
        const why = builderAddressProblem(address);
        if (why !== undefined)
            problems.push(`${where}: builder for ${platform} "${showValue(address)}": ${why}`);
    }
    return problems;
}

/** `--builder <platform>=<address>`, repeatable: the map, or every problem (one per bad flag). */
export function parseBuilderFlags(flags: string[]): { builders: Builders; problems: string[] } {
    const builders: Builders = {};
    const problems: string[] = [];
    for (const flag of flags) {
        const at = flag.indexOf("=");
        if (at <= 0) {
            problems.push(
                `--builder "${showValue(flag)}": expected <os/arch>=<address>, e.g. ${BUILDER_EXAMPLE}`,
            );
            continue;
        }
        const platform = flag.slice(0, at);
        if (platform in builders) {
            problems.push(`--builder "${showValue(flag)}": ${platform} is given a builder twice`);
            continue;
        }
        const bad = builderProblems({ [platform]: flag.slice(at + 1) }, `--builder "${showValue(flag)}"`);
        if (bad.length > 0) problems.push(...bad);
        else builders[platform] = flag.slice(at + 1);
    }
    return { builders, problems };
}

/**
 * The builders a release uses: the stack's, each overridden by a flag for the same platform, for the
 * platforms it builds. A flag for a platform the release does not build is a mistake, and refused; a
 * stack's builder for such a platform is simply not needed.
 */
export function releaseBuilders(
    configured: Builders,
    flags: Builders,
    platforms: string[],
): { builders: Builders; problems: string[] } {
    const problems = Object.keys(flags)
        .filter((p) => !platforms.includes(p))
        .map(
            (p) =>
                `--builder "${showValue(`${p}=${flags[p]}`)}": ${p} is not a platform this release builds (${platforms.join(", ")})`,
        );
    const merged: Builders = { ...configured, ...flags };
    const builders = Object.fromEntries(
        platforms.filter((p) => merged[p] !== undefined).map((p) => [p, merged[p]]),
    );
    return { builders, problems };
}
