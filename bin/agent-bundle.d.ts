export declare const AGENT_BUNDLE_DIR: string;
export declare const AGENT_BUNDLE_FILE: string;
export declare const AGENT_BUNDLE_MANIFEST: string;
export declare const HOST_JOIN_BUNDLE_FILE: string;
export declare function sourceDigest(dir: string, inputs: readonly string[]): string;
export declare function agentBundleStaleness(dir?: string): string | null;
