import { RegistryClient } from "../registry";
import type { LayerProgress } from "../release";

/** What every use case that talks to a registry is handed. */
export interface CliDeps {
    client: RegistryClient;
    /** The clock that judges soak times; tests give their own. Default: the system's. */
    now?: () => Date;
    /** Hears each layer a copy (promote, rollback, a mirror) or an upload moves, as its bytes go. */
    onLayer?: (e: LayerProgress) => void;
}

/** `sha256:` and 12 hex chars for tables and commit titles; "-" when there is no digest. */
export function digestPrefix(d: string | undefined): string {
    return d ? d.slice(0, 19) : "-";
}
