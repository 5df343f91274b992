import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

// Recorded inputs are arbitrary JSON that tests walk by path; `any` keeps those walks readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, Json>;
}

/** Every `newResource` call, in order; tests clear it in `beforeEach`. */
export const recorded: RecordedResource[] = [];

/** What the SDK sent the engine for one registration: the dependencies the engine would wait for. */
export interface Registration {
    type: string;
    name: string;
    urn: string;
    /** URNs the engine must finish before this resource (explicit `dependsOn` and input dependencies). */
    dependencies: string[];
}

/** Every completed registration, in the order the mock monitor answered them. */
export const registrations: Registration[] = [];

export function resetRecorded(): void {
    recorded.length = 0;
    registrations.length = 0;
}

export function registrationOf(name: string): Registration {
    const found = registrations.filter((r) => r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one registration named "${name}", got ${found.length}`);
    }
    return found[0];
}

export function ofType(type: string): RecordedResource[] {
    return recorded.filter((r) => r.type === type);
}

/** Outputs a dynamic MultiArchImage would return, so dev runs end to end under mocks. */
export const MOCK_BUILD = {
    digest: "sha256:" + "d".repeat(64),
    platformDigests: { "linux/amd64": "sha256:" + "a".repeat(64), "linux/arm64": "sha256:" + "b".repeat(64) },
};

export const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs) {
        // A dynamic resource's serialized provider source is noise for every assertion.
        const { __provider: _provider, ...inputs } = args.inputs as Record<string, unknown>;
        void _provider;
        recorded.push({ type: args.type, name: args.name, inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.includes(":dynamic:") && "contextHash" in args.inputs) {
            state.digest = MOCK_BUILD.digest;
            state.platformDigests = MOCK_BUILD.platformDigests;
            // What the provider reports when a higher release owns a floating tag: "latest" for 1.3.x.
            if (args.inputs.version === "1.3.5") state.heldBackTags = ["1", "latest"];
        }
        return { id: `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs as Record<string, unknown>;
    },
};

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getObject(): object | undefined;
    setObject(o: unknown): void;
}
type RegisterCallback = (err: unknown, resp?: { getUrn(): string }) => void;
interface Monitor {
    registerResource(req: RegisterRequest, callback: RegisterCallback): void;
}

/** The stack transforms the program registered since the last setMocks, in order. */
const stackTransforms: pulumi.ResourceTransform[] = [];

/**
 * The SDK's mocks refuse `registerResourceTransform` (there is no engine to call back), so the mocks
 * stand in for the engine: a registered stack transform runs on every registration's inputs, as the
 * engine would run it, across the same serialize/deserialize boundary, before the mock records them.
 */
function enableStackTransforms(): void {
    stackTransforms.length = 0;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
    const store = state.getStore();
    store.supportsTransforms = true;
    store.callbacks = {
        registerStackTransform: (t: pulumi.ResourceTransform) => stackTransforms.push(t),
        awaitStackRegistrations: async () => undefined,
        shutdown: () => undefined,
    };
}

/** The request with every stack transform applied to its inputs (the engine's part of a registration). */
async function transformed(req: RegisterRequest): Promise<void> {
    const object = req.getObject();
    if (stackTransforms.length === 0 || object === undefined) return;
    let props = pulumi.runtime.deserializeProperties(object as never);
    for (const t of stackTransforms) {
        const args = { custom: req.getCustom(), type: req.getType(), name: req.getName(), props, opts: {} };
        const result = await t(args);
        if (result !== undefined) props = result.props;
    }
    const struct = object.constructor as unknown as { fromJavaScript(o: unknown): unknown };
    req.setObject(struct.fromJavaScript(await pulumi.runtime.serializeProperties("transformed", props)));
}

export async function setMocks(stack = "dev", preview = false): Promise<void> {
    await pulumi.runtime.setMocks(mocks, "image-release", stack, preview);
    enableStackTransforms();
    // MockResourceArgs carries no dependencies, so read them off the request the SDK sends the monitor.
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const done = afterRegister(req, callback);
        // Without a stack transform the registration stays synchronous, exactly as before.
        if (stackTransforms.length === 0) return register(req, done);
        transformed(req).then(
            () => register(req, done),
            (err: unknown) => callback(err),
        );
    };
}

function afterRegister(req: RegisterRequest, callback: RegisterCallback): RegisterCallback {
    return (err, resp) => {
        if (!err && resp) {
            registrations.push({
                type: req.getType(),
                name: req.getName(),
                urn: resp.getUrn(),
                dependencies: req.getDependenciesList(),
            });
        }
        callback(err, resp);
    };
}

/** A value a preview does not know yet, as an engine output of a resource not yet created. */
export function unknownOutput<T>(): pulumi.Output<T> {
    return new (pulumi.Output as unknown as new (...a: unknown[]) => pulumi.Output<T>)(
        new Set(),
        Promise.resolve(undefined),
        Promise.resolve(false),
        Promise.resolve(false),
        Promise.resolve(new Set()),
    );
}

/** The one way tests unwrap an Output. */
export function promiseOf<T>(o: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve, reject) => {
        const out = pulumi.output(o);
        out.apply((v) => {
            resolve(v as T);
            return v;
        });
        // A rejected Output never calls apply; surface its error instead of hanging.
        (out as unknown as { promise(): Promise<unknown> }).promise().catch(reject);
    });
}

/** Lets the mock monitor finish every pending registration. */
export function settle(): Promise<void> {
    return new Promise((r) => setTimeout(r, 50));
}

/**
 * The error an Output rejects with, split into the SDK's `error serializing property "<p>": ` prefixes
 * and the words underneath. One error object can surface through several consumers (a Deployment's
 * spec, component outputs, a tag's digest), and which one serializes it first is a race, so tests
 * assert the words exactly and the properties as a set.
 */
export async function rejectionOf(
    o: pulumi.Output<unknown>,
): Promise<{ via: string[]; message: string; error: Error }> {
    const err = await promiseOf(o).then(
        () => assert.fail("the Output resolved; expected it to reject"),
        (e: Error) => e,
    );
    const via: string[] = [];
    let message = err.message;
    for (let m = /^error serializing property "([^"]+)": /.exec(message); m;) {
        via.push(m[1]);
        message = message.slice(m[0].length);
        m = /^error serializing property "([^"]+)": /.exec(message);
    }
    return { via, message, error: err };
}

/**
 * Asserts that `o` rejects with exactly `message`, surfaced through one or more of the properties in
 * `via` (the order is the SDK's race), then forgets the registrations the failure abandoned.
 */
export async function assertRejects(
    o: pulumi.Output<unknown>,
    message: string,
    via: string[],
): Promise<Error> {
    const rejected = await rejectionOf(o);
    assert.ok(
        rejected.via.length > 0 && rejected.via.every((p) => via.includes(p)),
        `surfaced via ${rejected.via.join(", ")}`,
    );
    assert.strictEqual(rejected.message, message);
    await settle();
    forgetAbandonedRegistrations();
    return rejected.error;
}

/**
 * A test that makes verification fail on purpose leaves the refused Deployment's registration
 * pending forever, which the SDK reports at exit as leaked promises (a real `pulumi up` exits with the
 * error instead, and says nothing). Forget exactly those, so a leak from any other test still shows.
 */
export function forgetAbandonedRegistrations(): number {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
        leakedPromises(): [Set<unknown>, string];
    };
    return debuggable.leakedPromises()[0].size;
}
