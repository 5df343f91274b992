import { timings } from "./harness";

/** Mocha root hooks (test/e2e/.mocharc.json requires this file): the step table once every file ran. */
export const mochaHooks = {
    afterAll(): void {
        process.stdout.write(`\n  | e2e step | seconds |\n  |---|---|\n`);
        for (const t of timings) process.stdout.write(`  | ${t.step} | ${t.seconds.toFixed(1)} |\n`);
    },
};
