export declare const ITERATIONS: number;
export declare function hashPassword(password: string): string;
