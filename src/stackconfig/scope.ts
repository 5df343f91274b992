import { showValue } from "../release";
import { PROJECT } from "./model";

/** A problem the stack file's own text explains (a value Pulumi's YAML reader took as a number). */
export interface Note {
    problem: string;
    /** The value as the engine handed it over. */
    value: unknown;
}

/** Collects one file's problems, one line each, in the order the keys are read. */
export class Report {
    readonly problems: string[] = [];
    constructor(
        readonly file: string,
        private readonly notes: ReadonlyMap<string, Note> = new Map(),
        /**
         * The keys the engine holds as secrets, when `config` is what it handed the program (see
         * `ValidateOptions.secretKeys`); undefined when it is the stack file's own text.
         */
        readonly secretKeys?: ReadonlySet<string>,
    ) {}

    bad(label: string, problem: string, value: unknown): void {
        this.problems.push(`${this.file}: ${label}: ${problem} (got "${showValue(value)}")`);
    }

    /** Reports the note for `label`, if the file's text explains its value: where that key is read. */
    note(label: string): void {
        const n = this.notes.get(label);
        if (n !== undefined) this.bad(label, n.problem, n.value);
    }
}

/**
 * Where a key is read: the stack's config, or one image of `image-release:images`. The same key table
 * reads both, and messages name the key by its full path.
 */
export interface Scope {
    readonly stack: string;
    readonly report: Report;
    /** The raw value of `key` here (undefined: absent). */
    get(key: string): unknown;
    /** How a message names `key` here: `image-release:digest`, `image-release:images.api.digest`. */
    label(key: string): string;
    bad(key: string, problem: string, value: unknown): void;
    /** Values read so far here, by key. */
    readonly values: Record<string, unknown>;
    /** The stack-wide scope an image inherits from; undefined for the stack itself. */
    readonly parent?: Scope;
    /** The scopes that each hold one image: the stack itself in a single-image file, else each member. */
    images(): Scope[];
}

abstract class BaseScope implements Scope {
    readonly values: Record<string, unknown> = {};
    abstract readonly stack: string;
    abstract readonly report: Report;
    abstract get(key: string): unknown;
    abstract label(key: string): string;
    abstract images(): Scope[];

    bad(key: string, problem: string, value: unknown): void {
        this.report.bad(this.label(key), problem, value);
    }
}

export class StackScope extends BaseScope {
    constructor(
        readonly stack: string,
        readonly report: Report,
        private readonly config: Record<string, unknown>,
        private readonly members: () => Scope[],
    ) {
        super();
    }
    get(key: string): unknown {
        return this.config[`${PROJECT}:${key}`];
    }
    label(key: string): string {
        return `${PROJECT}:${key}`;
    }
    images(): Scope[] {
        return this.members();
    }
}

export class ImageScope extends BaseScope {
    constructor(
        readonly parent: Scope,
        readonly name: string,
        private readonly member: Record<string, unknown>,
    ) {
        super();
    }
    get stack(): string {
        return this.parent.stack;
    }
    get report(): Report {
        return this.parent.report;
    }
    get(key: string): unknown {
        const v = this.member[key];
        // The engine hands structured config to the program as JSON, where yaml.v3 made `1234567` a number.
        return typeof v === "number" && Number.isFinite(v) ? String(v) : v;
    }
    label(key: string): string {
        return this.parent.label(`images.${this.name}.${key}`);
    }
    images(): Scope[] {
        return [this];
    }
}
