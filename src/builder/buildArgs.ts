import { BuildError } from "./errors";

/**
 * The build args the builder sets itself on every build: the release's version and commit, so an image
 * can bake what it is (examples/server's `--bake` writes them to /etc/app.json), and the build's only
 * clock. A Dockerfile reads them with `ARG VERSION`, `ARG GIT_SHA`, `ARG SOURCE_DATE_EPOCH`.
 */
export const BUILDER_BUILD_ARGS = ["VERSION", "GIT_SHA", "SOURCE_DATE_EPOCH"] as const;

export interface BuilderArgsInput {
    version: string;
    gitSha: string;
    sourceDateEpoch: number;
    /** The caller's own build args; none may be one of BUILDER_BUILD_ARGS. */
    buildArgs?: Record<string, string>;
}

/** The reason a caller's build args are refused, or undefined: they may not set the builder's own. */
export function buildArgsProblem(buildArgs: Record<string, string>): string | undefined {
    const taken = BUILDER_BUILD_ARGS.filter((k) => Object.prototype.hasOwnProperty.call(buildArgs, k));
    if (taken.length === 0) return undefined;
    return `must not set ${taken.join(", ")}: the builder sets ${BUILDER_BUILD_ARGS.join(", ")} from the release's version, commit and source date epoch (got ${taken.map((k) => `${k}="${buildArgs[k]}"`).join(", ")})`;
}

/** Every build arg the engine gets: the caller's plus the builder's own. */
export function engineBuildArgs(o: BuilderArgsInput): Record<string, string> {
    const own = o.buildArgs ?? {};
    const problem = buildArgsProblem(own);
    if (problem !== undefined) throw new BuildError(`buildArgs ${problem}`);
    return {
        ...own,
        VERSION: o.version,
        GIT_SHA: o.gitSha,
        SOURCE_DATE_EPOCH: String(o.sourceDateEpoch),
    };
}
