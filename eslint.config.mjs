// @ts-check
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

const BARREL_ONLY = {
    group: ["../*/*", "!../*/index"],
    message: "import another folder through its barrel (../<folder>), not one of its files",
};

/** One no-restricted-imports block per tier: what each tier may not import. */
function tiers() {
    const faces = ["cli", "providers", "components", "policy", "program"];
    const table = [
        {
            files: ["src/release/**/*.ts"],
            banned: ["registry", "builder", "signing", "stackconfig", "flows", ...faces],
        },
        { files: ["src/{registry,builder,signing,stackconfig}/**/*.ts"], banned: ["flows", ...faces] },
        { files: ["src/flows/**/*.ts"], banned: faces },
        { files: ["src/cli/**/*.ts"], banned: ["providers", "components", "policy", "program"] },
        { files: ["src/{providers,components,policy}/**/*.ts", "src/*.ts"], banned: ["cli"] },
    ];
    return table.map(({ files, banned }) => ({
        files,
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        BARREL_ONLY,
                        {
                            group: banned.flatMap((b) => [`../${b}`, `../${b}/*`, `./${b}`, `./${b}/*`]),
                            message: "this tier may not import from a tier above it (docs/architecture.md)",
                        },
                    ],
                },
            ],
        },
    }));
}

export default tseslint.config(
    { ignores: ["dist/**", "node_modules/**", "examples/**", "bin/**", "eslint.config.mjs"] },
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            "@typescript-eslint/require-await": "off",
        },
    },
    {
        // Size: one concept per file, and functions short enough to read at once.
        files: ["src/**/*.ts"],
        rules: {
            "max-lines": ["error", { max: 400, skipBlankLines: false, skipComments: false }],
            "max-lines-per-function": ["error", { max: 80, skipBlankLines: false, skipComments: false }],
        },
    },
    // The four tiers (docs/architecture.md): rules <- mechanisms <- flows <- faces. A folder imports
    // another only through its barrel, and never from a tier above its own.
    ...tiers(),
    {
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: {
            // mocha's describe/it and chained Output unwrapping read better with these off in tests
            "@typescript-eslint/no-floating-promises": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
        },
    },
);
