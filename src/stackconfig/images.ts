import { parseReference } from "../release";
import { PinnedImage, rfc1123LabelProblem } from "./model";
import { Reader } from "./readers";
import { KeyRow, readRows } from "./rows";
import { ImageScope, Scope } from "./scope";

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The name of a single-image file's one image: its repository's last path segment (`…/hello` is
 * `hello`), with `.` and `_` (which a path segment may hold and an image name may not) as `-`.
 */
export function singleImageName(repository: string): string {
    return (repository.split("/").pop() ?? repository).replace(/[._]+/g, "-");
}

/** The members of `raw` that are maps, by name: the scopes the stack-wide rules visit. */
export function memberScopes(parent: Scope, raw: unknown): ImageScope[] {
    if (!isMap(raw)) return [];
    return Object.keys(raw)
        .sort()
        .filter((name) => isMap(raw[name]))
        .map((name) => new ImageScope(parent, name, raw[name] as Record<string, unknown>));
}

/** The image a scope read: its own and inherited keys, those that have a value. */
export function imageOf(values: Record<string, unknown>, rows: readonly KeyRow[]): PinnedImage {
    const out: Record<string, unknown> = {};
    for (const row of rows) {
        if (values[row.key] !== undefined) out[row.key] = values[row.key];
    }
    return out as unknown as PinnedImage;
}

/** Reads one member with the image rows; undefined when it is not a map. */
function readMember(
    parent: Scope,
    name: string,
    member: unknown,
    rows: readonly KeyRow[],
): ImageScope | undefined {
    const nameProblem = rfc1123LabelProblem(name);
    if (nameProblem !== undefined) parent.bad(`images.${name}`, `image name ${nameProblem}`, name);
    const keys = rows.map((r) => r.key);
    if (!isMap(member)) {
        const required = rows.filter((r) => r.required).map((r) => r.key);
        const optional = keys.filter((k) => !required.includes(k));
        parent.bad(
            `images.${name}`,
            `expected a map with ${required.join(", ")} and optional ${optional.join(", ")}`,
            member,
        );
        return undefined;
    }
    const scope = new ImageScope(parent, name, member);
    for (const key of Object.keys(member).filter((k) => !keys.includes(k))) {
        scope.bad(key, `unknown key (known: ${keys.join(", ")})`, member[key]);
    }
    readRows(scope, rows);
    return scope;
}

/** Two images of one set may not share a repository: a pin could not tell them apart. */
function sameRepository(scopes: ImageScope[]): void {
    const seen = new Map<string, string>();
    for (const scope of scopes) {
        const repository = scope.values.repository;
        if (typeof repository !== "string") continue;
        let name = repository;
        try {
            name = parseReference(repository).name;
        } catch {
            // Reported with the repository's own rule; compared as written.
        }
        const first = seen.get(name);
        if (first === undefined) seen.set(name, scope.name);
        else
            scope.bad(
                "repository",
                `same repository as image "${first}"; each image of a set has its own`,
                repository,
            );
    }
}

/**
 * `image-release:images`: a map of image name to that image's keys, each read with the key table's
 * image rows, exactly as the single-image keys are.
 */
export function imageSetReader(rows: () => readonly KeyRow[]): Reader {
    return (raw, parent, key) => {
        const keys = rows().map((r) => r.key);
        if (!isMap(raw) || Object.keys(raw).length === 0) {
            parent.bad(key, `expected a map of image name to a map of ${keys.join(", ")}`, raw);
            return undefined;
        }
        const scopes: ImageScope[] = [];
        for (const name of Object.keys(raw).sort()) {
            const scope = readMember(parent, name, raw[name], rows());
            if (scope !== undefined) scopes.push(scope);
        }
        sameRepository(scopes);
        return Object.fromEntries(scopes.map((s) => [s.name, imageOf(s.values, rows())]));
    };
}
