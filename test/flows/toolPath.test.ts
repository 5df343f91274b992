import * as assert from "assert";
import * as path from "path";
import { Refusal, toolFile, toolPath } from "../../src/flows";

describe("flows/toolPath: every file image-release writes stays in .image-release/", () => {
    const rows: { name: string; parts: string[]; want?: string; refused?: string }[] = [
        { name: "a notes file", parts: ["notes", "1.4.2.md"], want: ".image-release/notes/1.4.2.md" },
        {
            name: "a PR body in a branch's folders",
            parts: ["pr", "promote/staging-1.4.1-abc.md"],
            want: ".image-release/pr/promote/staging-1.4.1-abc.md",
        },
        {
            name: "dots inside a name are a name",
            parts: ["pr", "promote/a..b.md"],
            want: ".image-release/pr/promote/a..b.md",
        },
        {
            name: "a version ../../x",
            parts: ["notes", "../../x.md"],
            refused: ".image-release/notes/../../x.md",
        },
        {
            name: "an absolute path",
            parts: ["notes", "/tmp/x.md"],
            refused: ".image-release/notes//tmp/x.md",
        },
        {
            name: "a branch name with ..",
            parts: ["pr", "promote/../../../x.md"],
            refused: ".image-release/pr/promote/../../../x.md",
        },
        { name: "the folder itself", parts: ["notes", ".."], refused: ".image-release/notes/.." },
        {
            name: "a sibling that shares the prefix",
            parts: ["../.image-release-x/y"],
            refused: ".image-release/../.image-release-x/y",
        },
    ];
    for (const r of rows) {
        it(r.name, () => {
            if (r.want !== undefined) {
                assert.deepStrictEqual(
                    [toolFile(...r.parts), toolPath("/repo", ...r.parts)],
                    [r.want, path.join("/repo", r.want)],
                );
                return;
            }
            const refusal = {
                name: "Refusal",
                message: `refusing to write "${r.refused}": it is outside .image-release/, the one folder image-release writes in`,
            };
            assert.throws(() => toolFile(...r.parts), refusal);
            assert.throws(
                () => toolPath("/repo", ...r.parts),
                (e: unknown) => e instanceof Refusal,
            );
        });
    }
});
