import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { distinctDigests, stackFileHistory } from "../../src/stackconfig";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D3 = `sha256:${"3".repeat(64)}`;
const REPO = "127.0.0.1:5000/image-release/hello";
const OTHER = "127.0.0.1:5001/prod/hello";

describe("stackFileHistory: the pin each commit of a stack file held", () => {
    let dir: string;
    const file = () => path.join(dir, "stacks", "Pulumi.prod.yaml");
    const git = (...args: string[]) =>
        execFileSync("git", ["-C", dir, ...args], {
            encoding: "utf8",
            env: {
                ...process.env,
                GIT_AUTHOR_NAME: "Release Bot",
                GIT_AUTHOR_EMAIL: "bot@example.com",
                GIT_COMMITTER_NAME: "Release Bot",
                GIT_COMMITTER_EMAIL: "bot@example.com",
                GIT_COMMITTER_DATE: "2024-01-01T12:00:00Z",
            },
        });
    const commit = (text: string, message: string) => {
        fs.writeFileSync(file(), text);
        git("add", "-A");
        git("commit", "-q", "-m", message);
        return git("rev-parse", "HEAD").trim();
    };

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-release-history-"));
        fs.mkdirSync(path.join(dir, "stacks"));
        git("init", "-q");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("lists single-image pins as before, sets by image, and a broken revision without a pin", () => {
        const c1 = commit(
            `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D1}\n  image-release:version: 1.4.0\n  image-release:gitSha: 1234567\n  image-release:promotedFrom: staging\n  image-release:sourceRepository: ${OTHER}\n`,
            "Initial",
        );
        const c2 = commit("config:\n  a: [\n", "Broken");
        const c3 = commit(
            `config:\n  image-release:images:\n    worker:\n      repository: ${OTHER}\n      digest: ${D3}\n    api:\n      repository: ${REPO}\n      digest: ${D2}\n      version: 1.5.0\n`,
            "Sets",
        );
        const meta = (c: string, message: string) => ({
            commit: c,
            shortCommit: c.slice(0, 7),
            date: "2024-01-01T12:00:00.000Z",
            author: "Release Bot",
            message,
        });
        const entries = stackFileHistory(dir, file());
        // JSON, so the key order (what `history --json` prints) is part of what is checked.
        assert.deepStrictEqual(
            entries.map((e) => JSON.stringify(e)),
            [
                {
                    ...meta(c3, "Sets"),
                    digest: D2,
                    version: "1.5.0",
                    repository: REPO,
                    images: {
                        api: { digest: D2, version: "1.5.0", repository: REPO },
                        worker: { digest: D3, repository: OTHER },
                    },
                },
                meta(c2, "Broken"),
                {
                    ...meta(c1, "Initial"),
                    digest: D1,
                    version: "1.4.0",
                    gitSha: "1234567",
                    promotedFrom: "staging",
                    repository: REPO,
                    sourceRepository: OTHER,
                },
            ].map((e) => JSON.stringify(e)),
        );
        assert.deepStrictEqual(
            distinctDigests(entries).map((e) => e.commit),
            [c3, c1],
        );
    });

    it("reads a project inside the repository (examples/shop) as its own root", () => {
        const project = path.join(dir, "examples", "shop");
        fs.mkdirSync(path.join(project, "stacks"), { recursive: true });
        const inner = path.join(project, "stacks", "Pulumi.staging.yaml");
        fs.writeFileSync(
            inner,
            `config:\n  image-release:repository: ${REPO}\n  image-release:digest: ${D2}\n`,
        );
        git("add", "-A");
        git("commit", "-q", "-m", "shop staging");
        const head = git("rev-parse", "HEAD").trim();
        // As the CLI passes it with --repo-root examples/shop: the file relative to the working directory.
        const cwd = process.cwd();
        process.chdir(dir);
        try {
            const entries = stackFileHistory("examples/shop", "examples/shop/stacks/Pulumi.staging.yaml");
            assert.deepStrictEqual(
                entries.map((e) => [e.commit, e.digest]),
                [[head, D2]],
            );
        } finally {
            process.chdir(cwd);
        }
    });
});
