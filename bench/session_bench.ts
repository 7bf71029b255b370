/**
 * The session layer: a ClientSession and a ServerSession doing one QoS 1
 * and one QoS 2 exchange each way, against the codec alone on the same
 * packets. The cases are in `session_cases.ts`; `summary.ts` times them
 * again, interleaved, for the ratio.
 *
 * @module
 */

import { register } from "./cases.ts";
import { SESSION_CASES } from "./session_cases.ts";

register(SESSION_CASES);
