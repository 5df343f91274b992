/**
 * A minimal unified diff (whole file as one hunk) for `--dry-run`; stack files are short. The output
 * applies with `git apply`/`patch`, so a reviewer can use the dry run as the change itself.
 */
export function unifiedDiff(file: string, before: string, after: string): string {
    if (before === after) return "";
    const a = splitLines(before);
    const b = splitLines(after);
    const n = a.length;
    const m = b.length;
    const out = [`--- a/${file}`, `+++ b/${file}`, `@@ -${range(n)} +${range(m)} @@`];
    const noEol = "\\ No newline at end of file";
    const aEnd = !before.endsWith("\n");
    const bEnd = !after.endsWith("\n");
    // LCS keeps unchanged lines as context so only the edited values show as -/+.
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--)
        for (let j = m - 1; j >= 0; j--)
            lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
        // A last line that differs only in its final newline is a change, not context.
        const same = i < n && j < m && a[i] === b[j] && (i === n - 1 && aEnd) === (j === m - 1 && bEnd);
        if (same) {
            out.push(` ${a[i]}`);
            if (i === n - 1 && aEnd) out.push(noEol);
            i++;
            j++;
        } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            out.push(`-${a[i]}`);
            if (i === n - 1 && aEnd) out.push(noEol);
            i++;
        } else {
            out.push(`+${b[j]}`);
            if (j === m - 1 && bEnd) out.push(noEol);
            j++;
        }
    }
    return out.join("\n") + "\n";
}

/** Lines without their terminators: "a\nb\n" is two lines, as diff(1) counts them. */
function splitLines(text: string): string[] {
    if (text === "") return [];
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
}

function range(count: number): string {
    return count === 0 ? "0,0" : `1,${count}`;
}
