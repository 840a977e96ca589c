export { startAsteriskSim, type AsteriskSim, type AsteriskSimOptions, type SimLogger } from './server';
export { AsteriskCore } from './ari/core';
export { parseDialEndpoint } from './ari/params';
export { SIM_ORDERINGS, type SimOrdering } from './ari/ordering';
export { CAUSE_TEXT, causeText, dialStatusForCause, sipToCause } from './ari/causes';
export { CallLog, SimCall, type HungUpBy } from './calls';
export {
  DEFAULT_SCENARIO,
  MAGIC_NUMBERS,
  ScenarioError,
  ScenarioStore,
  parseScenario,
  scenarioSchema,
  type Scenario,
  type ScenarioInput,
} from './far-end/scenario';
export type { ExternalMediaFormat } from './media/codec';
