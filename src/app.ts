// The whole HTTP surface as one app: every route of the API Worker (./index.ts) and of the staff
// console's Worker (src/admin/worker.ts). What the OpenAPI document describes
// (scripts/build-openapi.mjs) and what tests that need their own bindings call directly. Neither
// deployed Worker loads this file: each mounts only its own areas.
import { CONSOLE_AREAS } from './admin/areas';
import { API_AREAS } from './areas';
import { buildApp } from './http';
import { registerDocs } from './system/docs';

export const createApp = () => buildApp([...API_AREAS, ...CONSOLE_AREAS], { docs: registerDocs });
