/** What differs between the API Worker's config and the staff console's, one sentence each; empty when they agree. */
export declare function consoleConfigProblems(apiPath?: string, consolePath?: string): string[];
