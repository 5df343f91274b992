// @ts-check
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

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
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: {
            // mocha's describe/it and chained Output unwrapping read better with these off in tests
            "@typescript-eslint/no-floating-promises": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
        },
    },
);
