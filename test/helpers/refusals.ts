import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { assertRejects, recorded, settle } from "./mocks";

export interface RefusalRow<A> {
    name: string;
    args: Partial<A>;
    message: string;
}

/**
 * One table, two ways in: each row's args are refused by the constructor when plain, and with the same
 * InputPropertiesError text once known when given as Outputs. Either way only the component itself
 * registers (it does so before it can see its args).
 */
export function itRefusesArgs<A>(o: {
    componentType: string;
    rows: RefusalRow<A>[];
    /** Builds the component from the row's args (plain or lifted into Outputs). */
    make: (args: Partial<A>) => unknown;
    /** The Output whose rejection carries the error, e.g. the component's image. */
    outputOf: (component: unknown) => pulumi.Output<unknown>;
}): void {
    for (const c of o.rows) {
        it(`refuses ${c.name} before creating anything`, async () => {
            assert.throws(
                () => o.make(c.args),
                (e: unknown) => pulumi.InputPropertiesError.isInstance(e) && e.message === c.message,
            );
            await settle();
            assert.deepStrictEqual(
                recorded.map((r) => r.type),
                [o.componentType],
            );
        });

        it(`refuses ${c.name} given as Outputs, and registers nothing else`, async () => {
            const lifted = Object.fromEntries(
                Object.entries(c.args as Record<string, unknown>).map(([k, v]) => [k, pulumi.output(v)]),
            ) as unknown as Partial<A>;
            const error = await assertRejects(o.outputOf(o.make(lifted)), c.message, [
                "metadata",
                "spec",
                "outputs",
            ]);
            assert.strictEqual(pulumi.InputPropertiesError.isInstance(error), true);
            assert.deepStrictEqual(
                recorded.map((r) => r.type),
                [o.componentType],
            );
        });
    }
}
