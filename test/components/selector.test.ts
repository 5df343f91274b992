import * as assert from "assert";
import { PlainSelector, selects } from "../../src/components/selector";

describe("components/selects (pure)", () => {
    const labels = { app: "web", tier: "api" };
    const rows: { name: string; selector: PlainSelector; selects: boolean }[] = [
        { name: "the component's own matchLabels", selector: { matchLabels: { app: "web" } }, selects: true },
        { name: "every matchLabel", selector: { matchLabels: { app: "web", tier: "api" } }, selects: true },
        {
            name: "a matchLabel with another value",
            selector: { matchLabels: { tier: "db" } },
            selects: false,
        },
        { name: "a matchLabel the pods lack", selector: { matchLabels: { team: "a" } }, selects: false },
        { name: "an empty selector (apps/v1 refuses it)", selector: {}, selects: false },
        {
            name: "In, listed",
            selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["api", "db"] }] },
            selects: true,
        },
        {
            name: "In, not listed",
            selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] },
            selects: false,
        },
        {
            name: "NotIn, absent key",
            selector: { matchExpressions: [{ key: "team", operator: "NotIn", values: ["a"] }] },
            selects: true,
        },
        {
            name: "NotIn, listed",
            selector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["api"] }] },
            selects: false,
        },
        {
            name: "Exists",
            selector: { matchExpressions: [{ key: "tier", operator: "Exists" }] },
            selects: true,
        },
        {
            name: "DoesNotExist on a present key",
            selector: { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] },
            selects: false,
        },
        {
            name: "an unknown operator",
            selector: { matchExpressions: [{ key: "tier", operator: "Like", values: ["api"] }] },
            selects: false,
        },
        {
            name: "matchLabels and matchExpressions are ANDed",
            selector: {
                matchLabels: { app: "web" },
                matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }],
            },
            selects: false,
        },
    ];
    for (const r of rows) {
        it(`${r.name}: ${r.selects ? "selects" : "does not select"}`, () => {
            assert.strictEqual(selects(r.selector, labels), r.selects);
        });
    }
});
