import { RegistryClient } from "../registry";

/** What every use case that talks to a registry is handed. */
export interface CliDeps {
    client: RegistryClient;
    /** The clock that judges soak times; tests give their own. Default: the system's. */
    now?: () => Date;
}

/** `sha256:` and 12 hex chars for tables and commit titles; "-" when there is no digest. */
export function digestPrefix(d: string | undefined): string {
    return d ? d.slice(0, 19) : "-";
}
