import * as assert from "assert";
import * as path from "path";
import { status } from "../../src/flows";
import { releasedElsewhere, testClient } from "../fixtures/cli/scenarios";

const client = testClient();
const deps = { client };

describe("status @integration", () => {
    it("dev released into another repository: status checks it there and flags it", async () => {
        const { dir, want } = await releasedElsewhere(client);
        assert.deepStrictEqual(
            await status({ stacksDir: path.join(dir, "stacks"), repoRoot: dir }, deps),
            want,
        );
    });
});
