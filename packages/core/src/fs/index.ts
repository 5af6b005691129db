export * from "./atomic-write.js";
export { DirectWriter, pageAlignedMemory } from "./direct-write.js";
