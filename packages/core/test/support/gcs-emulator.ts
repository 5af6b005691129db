// The GCS emulator starter lives in the testkit; core's tests take it from there by path, since the
// testkit package itself depends on core.
export { type GcsEmulator, startGcsEmulator } from "../../../testkit/src/helpers/gcs-emulator.js";
