import * as assert from "assert";
import { AttestationTooLargeError, checkEnvelopeSize, SPDX_DOCUMENT } from "../../src/signing";

const MiB = 1024 * 1024;

describe("attestation size before push", () => {
    const subject = "127.0.0.1:5000/ml/trainer@sha256:ab12";
    const rows: { size: number; refused?: string }[] = [
        { size: 55 * MiB },
        { size: 128 * MiB },
        {
            size: 128 * MiB + 1,
            refused:
                `the ${SPDX_DOCUMENT} attestation of ${subject} is 128.0 MiB (134217729 bytes) as a DSSE envelope, ` +
                `over the 128 MiB (134217728 bytes) that image-release and cosign (COSIGN_MAX_ATTACHMENT_SIZE) read ` +
                `back; not pushing it`,
        },
        {
            size: 300 * MiB + 512 * 1024,
            refused:
                `the ${SPDX_DOCUMENT} attestation of ${subject} is 300.5 MiB (315097088 bytes) as a DSSE envelope, ` +
                `over the 128 MiB (134217728 bytes) that image-release and cosign (COSIGN_MAX_ATTACHMENT_SIZE) read ` +
                `back; not pushing it`,
        },
    ];
    for (const r of rows) {
        it(`${r.size} bytes: ${r.refused ? "AttestationTooLargeError" : "pushed"}`, () => {
            if (!r.refused) return checkEnvelopeSize(subject, SPDX_DOCUMENT, r.size);
            assert.throws(
                () => checkEnvelopeSize(subject, SPDX_DOCUMENT, r.size),
                (e: unknown) =>
                    e instanceof AttestationTooLargeError &&
                    e.message === r.refused &&
                    e.size === r.size &&
                    e.limit === 128 * MiB &&
                    e.subject === subject,
            );
        });
    }
});
