// The forwarder lives in the testkit, shared with the apps' tests.
export * from "../../../testkit/src/helpers/tcp-forwarder.js";
