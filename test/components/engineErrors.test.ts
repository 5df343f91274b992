import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { messageOnly, programError, resourceRefusal } from "../../src/components";
import { Refusal } from "../../src/flows";
import { DirtyTreeError } from "../../src/release";
import { StackConfigError } from "../../src/stackconfig";

// What @pulumi/pulumi's program runner prints (and puts in its trace span) for an uncaught error.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error") as {
    defaultErrorMessage: (e: unknown) => string;
};

/** A stack frame as source-map-support writes @pulumi/pulumi's: Node 20.20's colored inspect loops on it. */
const LOOPING_FRAME = "    at Stack.initialize (/p/node_modules/@pulumi/runtime/stack.ts:78:28)";

describe("engine errors: the message alone, no stack for the engine to format", () => {
    const bug = new TypeError("cannot read properties of undefined (reading 'digest')");
    const rows: { name: string; thrown: unknown; message: string | RegExp }[] = [
        {
            name: "a Refusal",
            thrown: new Refusal("stacks/Pulumi.prod.yaml: refused"),
            message: "stacks/Pulumi.prod.yaml: refused",
        },
        {
            name: "a StackConfigError",
            thrown: new StackConfigError("stacks/Pulumi.prod.yaml: image-release:digest is missing", ["x"]),
            message: "stacks/Pulumi.prod.yaml: image-release:digest is missing",
        },
        {
            name: "a DirtyTreeError",
            thrown: new DirtyTreeError("context is dirty: a", ["a"]),
            message: "context is dirty: a",
        },
        {
            name: "a RunError",
            thrown: new pulumi.RunError("already a run error"),
            message: "already a run error",
        },
        {
            name: "a bug: its stack as text, nothing lost",
            thrown: bug,
            message: new RegExp(
                `^TypeError: cannot read properties of undefined \\(reading 'digest'\\)\\n    at `,
            ),
        },
        { name: "a thrown string", thrown: "boom", message: "boom" },
    ];
    for (const r of rows) {
        it(`programError: ${r.name}`, () => {
            const e = programError(r.thrown);
            assert.ok(e instanceof pulumi.RunError);
            if (typeof r.message === "string") assert.strictEqual(e.message, r.message);
            else assert.match(e.message, r.message);
            assert.strictEqual(e.stack, "");
            // The engine prints (and traces) exactly the message: no util.inspect of a stack.
            assert.strictEqual(defaultErrorMessage(e), e.message);
        });
    }

    it("resourceRefusal: a ResourceError that hides its stack and has none to format", () => {
        const resource = { __pulumiResource: true } as unknown as pulumi.Resource;
        const e = resourceRefusal('PinnedDeployment "api": digest verification failed: 401', resource);
        assert.ok(e instanceof pulumi.ResourceError);
        assert.deepStrictEqual([e.hideStack, e.stack, e.resource], [true, "", resource]);
        assert.strictEqual(defaultErrorMessage(e), 'PinnedDeployment "api": digest verification failed: 401');
    });

    it("messageOnly keeps the error and its message, drops a stack that holds the frame Node 20.20 loops on", () => {
        const e = new Error("refused");
        e.stack = `Error: refused\n${LOOPING_FRAME}`;
        const same = messageOnly(e);
        assert.strictEqual(same, e);
        assert.deepStrictEqual(
            [same.message, same.stack, defaultErrorMessage(same)],
            ["refused", "", "refused"],
        );
    });
});
