// The staff console's models, one declarative entry each: what a list shows, how it filters,
// searches and sorts, what a detail page relates, and the allow-list of fields staff may change.
// src/admin/service.ts runs every one of them through the same list/detail/patch code.
//
// SQL here is static text written by us (aliases: t = the model's table, tr/tu = its trainer and
// the trainer's user, c = a client); values from a request only ever travel as bound parameters.
import { MODEL_NAMES, type ModelDef, type ModelName } from './kit';
import { OPERATIONS_MODELS } from './operations';
import { PEOPLE_MODELS } from './people';
import { SALES_MODELS } from './sales';

export type { Column, Filter, Input, Kind, ModelDef, ModelName, PatchField, PickModel, Relation } from './kit';
export { MODEL_NAMES } from './kit';

const MODEL_LIST: ModelDef[] = [...PEOPLE_MODELS, ...SALES_MODELS, ...OPERATIONS_MODELS];

export const MODELS = Object.fromEntries(MODEL_LIST.map((m) => [m.name, m])) as Record<ModelName, ModelDef>;
export const MODEL_ORDER: readonly ModelDef[] = MODEL_LIST;

export const isModelName = (name: string): name is ModelName => (MODEL_NAMES as readonly string[]).includes(name);
