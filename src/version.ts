/** The version of this package, written into every record as `exprag_version`. */
export const EXPRAG_VERSION = "0.1.0";

/** The record schema version this package writes and reads. */
export const SCHEMA_VERSION = 1;
