import { ProductionTracker, type ProductionState } from "@manageos/superviser";
import { parseBlockLine } from "@manageos/superviser";
import { describe, expect, it } from "vitest";

// Recorded from nodeos-sim in a cluster of bp.a, bp.b, bp.c with 4-block rounds and 50 ms blocks; we are bp.b.
// Each layout twice: the node that produced bp.b's rounds, and one that was paused and received them.
const LEAP_PRODUCING = `
info  2026-11-22T08:22:10.251 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 14492580154df4d4... #287 @ 2026-11-22T08:22:10.250 signed by bp.c [trxs: 0, lib: 263, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.301 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 5fcf3ee2fd0b125e... #288 @ 2026-11-22T08:22:10.300 signed by bp.a [trxs: 0, lib: 264, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.350 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 455bbdedbc64e1ed... #289 @ 2026-11-22T08:22:10.350 signed by bp.a [trxs: 0, lib: 265, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 0 ms]
info  2026-11-22T08:22:10.401 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 23ec2263c882a29d... #290 @ 2026-11-22T08:22:10.400 signed by bp.a [trxs: 0, lib: 266, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.454 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 298739681528bc80... #291 @ 2026-11-22T08:22:10.450 signed by bp.a [trxs: 0, lib: 267, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 4 ms]
info  2026-11-22T08:22:10.525 prod-0    producer_plugin.cpp:2655      produce_block        ] Produced block 1580b20bb16822ca... #292 @ 2026-11-22T08:22:10.500 signed by bp.b [trxs: 0, lib: 268, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]
info  2026-11-22T08:22:10.563 prod-0    producer_plugin.cpp:2655      produce_block        ] Produced block b07bc33165d61454... #293 @ 2026-11-22T08:22:10.550 signed by bp.b [trxs: 0, lib: 269, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]
info  2026-11-22T08:22:10.616 prod-0    producer_plugin.cpp:2655      produce_block        ] Produced block a02ee1358deec918... #294 @ 2026-11-22T08:22:10.600 signed by bp.b [trxs: 0, lib: 270, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]
info  2026-11-22T08:22:10.655 prod-0    producer_plugin.cpp:2655      produce_block        ] Produced block a81401a4c6f8a87a... #295 @ 2026-11-22T08:22:10.650 signed by bp.b [trxs: 0, lib: 271, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]
info  2026-11-22T08:22:10.701 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 705f64a1098feed3... #296 @ 2026-11-22T08:22:10.700 signed by bp.c [trxs: 0, lib: 272, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.750 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 6519b1da3714c48e... #297 @ 2026-11-22T08:22:10.750 signed by bp.c [trxs: 0, lib: 273, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 0 ms]
info  2026-11-22T08:22:10.801 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 629ead522aee41b0... #298 @ 2026-11-22T08:22:10.800 signed by bp.c [trxs: 0, lib: 274, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.858 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block c3860730fd402d92... #299 @ 2026-11-22T08:22:10.850 signed by bp.c [trxs: 0, lib: 275, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 8 ms]
info  2026-11-22T08:22:10.901 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block c3b4874a084528f5... #300 @ 2026-11-22T08:22:10.900 signed by bp.a [trxs: 0, lib: 276, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.952 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block db96f333cbb149fb... #301 @ 2026-11-22T08:22:10.950 signed by bp.a [trxs: 0, lib: 277, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 2 ms]
info  2026-11-22T08:22:11.001 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 7eff040cb92c4742... #302 @ 2026-11-22T08:22:11.000 signed by bp.a [trxs: 0, lib: 278, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:11.050 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 85957e63eebffa90... #303 @ 2026-11-22T08:22:11.050 signed by bp.a [trxs: 0, lib: 279, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 0 ms]
info  2026-11-22T08:22:11.107 prod-0    producer_plugin.cpp:2655      produce_block        ] Produced block b9c43c59327f9a8b... #304 @ 2026-11-22T08:22:11.100 signed by bp.b [trxs: 0, lib: 280, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]
`;
const LEAP_RECEIVING = `
info  2026-11-22T08:22:10.252 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 14492580154df4d4... #287 @ 2026-11-22T08:22:10.250 signed by bp.c [trxs: 0, lib: 263, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 2 ms]
info  2026-11-22T08:22:10.302 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 5fcf3ee2fd0b125e... #288 @ 2026-11-22T08:22:10.300 signed by bp.a [trxs: 0, lib: 264, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 2 ms]
info  2026-11-22T08:22:10.351 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 455bbdedbc64e1ed... #289 @ 2026-11-22T08:22:10.350 signed by bp.a [trxs: 0, lib: 265, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.402 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 23ec2263c882a29d... #290 @ 2026-11-22T08:22:10.400 signed by bp.a [trxs: 0, lib: 266, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 2 ms]
info  2026-11-22T08:22:10.457 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 298739681528bc80... #291 @ 2026-11-22T08:22:10.450 signed by bp.a [trxs: 0, lib: 267, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 6 ms]
info  2026-11-22T08:22:10.552 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 1580b20bb16822ca... #292 @ 2026-11-22T08:22:10.500 signed by bp.b [trxs: 0, lib: 268, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 52 ms]
info  2026-11-22T08:22:10.601 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block b07bc33165d61454... #293 @ 2026-11-22T08:22:10.550 signed by bp.b [trxs: 0, lib: 269, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 51 ms]
info  2026-11-22T08:22:10.652 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block a02ee1358deec918... #294 @ 2026-11-22T08:22:10.600 signed by bp.b [trxs: 0, lib: 270, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 52 ms]
info  2026-11-22T08:22:10.701 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block a81401a4c6f8a87a... #295 @ 2026-11-22T08:22:10.650 signed by bp.b [trxs: 0, lib: 271, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 51 ms]
info  2026-11-22T08:22:10.701 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 705f64a1098feed3... #296 @ 2026-11-22T08:22:10.700 signed by bp.c [trxs: 0, lib: 272, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.751 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 6519b1da3714c48e... #297 @ 2026-11-22T08:22:10.750 signed by bp.c [trxs: 0, lib: 273, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.800 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 629ead522aee41b0... #298 @ 2026-11-22T08:22:10.800 signed by bp.c [trxs: 0, lib: 274, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 0 ms]
info  2026-11-22T08:22:10.851 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block c3860730fd402d92... #299 @ 2026-11-22T08:22:10.850 signed by bp.c [trxs: 0, lib: 275, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:10.900 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block c3b4874a084528f5... #300 @ 2026-11-22T08:22:10.900 signed by bp.a [trxs: 0, lib: 276, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 0 ms]
info  2026-11-22T08:22:10.951 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block db96f333cbb149fb... #301 @ 2026-11-22T08:22:10.950 signed by bp.a [trxs: 0, lib: 277, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:11.001 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 7eff040cb92c4742... #302 @ 2026-11-22T08:22:11.000 signed by bp.a [trxs: 0, lib: 278, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:11.051 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 85957e63eebffa90... #303 @ 2026-11-22T08:22:11.050 signed by bp.a [trxs: 0, lib: 279, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 1 ms]
info  2026-11-22T08:22:11.150 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block b9c43c59327f9a8b... #304 @ 2026-11-22T08:22:11.100 signed by bp.b [trxs: 0, lib: 280, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 50 ms]
`;
const LEGACY_PRODUCING = `
info  2026-11-22T08:22:10.252 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 14492580154df4d4... #287 @ 2026-11-22T08:22:10.250 signed by bp.c [trxs: 0, lib: 263, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:10.303 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 5fcf3ee2fd0b125e... #288 @ 2026-11-22T08:22:10.300 signed by bp.a [trxs: 0, lib: 264, conf: 0, latency: 3 ms]
info  2026-11-22T08:22:10.351 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 455bbdedbc64e1ed... #289 @ 2026-11-22T08:22:10.350 signed by bp.a [trxs: 0, lib: 265, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.403 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 23ec2263c882a29d... #290 @ 2026-11-22T08:22:10.400 signed by bp.a [trxs: 0, lib: 266, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.457 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 298739681528bc80... #291 @ 2026-11-22T08:22:10.450 signed by bp.a [trxs: 0, lib: 267, conf: 0, latency: 7 ms]
info  2026-11-22T08:22:10.525 thread-0  producer_plugin.cpp:1628      produce_block        ] Produced block 1580b20bb16822ca... #292 @ 2026-11-22T08:22:10.500 signed by bp.b [trxs: 0, lib: 268, confirmed: 0]
info  2026-11-22T08:22:10.557 thread-0  producer_plugin.cpp:1628      produce_block        ] Produced block b07bc33165d61454... #293 @ 2026-11-22T08:22:10.550 signed by bp.b [trxs: 0, lib: 269, confirmed: 0]
info  2026-11-22T08:22:10.622 thread-0  producer_plugin.cpp:1628      produce_block        ] Produced block a02ee1358deec918... #294 @ 2026-11-22T08:22:10.600 signed by bp.b [trxs: 0, lib: 270, confirmed: 0]
info  2026-11-22T08:22:10.663 thread-0  producer_plugin.cpp:1628      produce_block        ] Produced block a81401a4c6f8a87a... #295 @ 2026-11-22T08:22:10.650 signed by bp.b [trxs: 0, lib: 271, confirmed: 0]
info  2026-11-22T08:22:10.702 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 705f64a1098feed3... #296 @ 2026-11-22T08:22:10.700 signed by bp.c [trxs: 0, lib: 272, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:10.750 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 6519b1da3714c48e... #297 @ 2026-11-22T08:22:10.750 signed by bp.c [trxs: 0, lib: 273, conf: 0, latency: 0 ms]
info  2026-11-22T08:22:10.801 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 629ead522aee41b0... #298 @ 2026-11-22T08:22:10.800 signed by bp.c [trxs: 0, lib: 274, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.850 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block c3860730fd402d92... #299 @ 2026-11-22T08:22:10.850 signed by bp.c [trxs: 0, lib: 275, conf: 0, latency: 0 ms]
info  2026-11-22T08:22:10.901 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block c3b4874a084528f5... #300 @ 2026-11-22T08:22:10.900 signed by bp.a [trxs: 0, lib: 276, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.952 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block db96f333cbb149fb... #301 @ 2026-11-22T08:22:10.950 signed by bp.a [trxs: 0, lib: 277, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:11.000 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 7eff040cb92c4742... #302 @ 2026-11-22T08:22:11.000 signed by bp.a [trxs: 0, lib: 278, conf: 0, latency: 0 ms]
info  2026-11-22T08:22:11.051 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 85957e63eebffa90... #303 @ 2026-11-22T08:22:11.050 signed by bp.a [trxs: 0, lib: 279, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:11.107 thread-0  producer_plugin.cpp:1628      produce_block        ] Produced block b9c43c59327f9a8b... #304 @ 2026-11-22T08:22:11.100 signed by bp.b [trxs: 0, lib: 280, confirmed: 0]
`;
const LEGACY_RECEIVING = `
info  2026-11-22T08:22:10.251 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 14492580154df4d4... #287 @ 2026-11-22T08:22:10.250 signed by bp.c [trxs: 0, lib: 263, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.302 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 5fcf3ee2fd0b125e... #288 @ 2026-11-22T08:22:10.300 signed by bp.a [trxs: 0, lib: 264, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:10.352 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 455bbdedbc64e1ed... #289 @ 2026-11-22T08:22:10.350 signed by bp.a [trxs: 0, lib: 265, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:10.401 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 23ec2263c882a29d... #290 @ 2026-11-22T08:22:10.400 signed by bp.a [trxs: 0, lib: 266, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.451 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 298739681528bc80... #291 @ 2026-11-22T08:22:10.450 signed by bp.a [trxs: 0, lib: 267, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.552 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 1580b20bb16822ca... #292 @ 2026-11-22T08:22:10.500 signed by bp.b [trxs: 0, lib: 268, conf: 0, latency: 51 ms]
info  2026-11-22T08:22:10.601 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block b07bc33165d61454... #293 @ 2026-11-22T08:22:10.550 signed by bp.b [trxs: 0, lib: 269, conf: 0, latency: 51 ms]
info  2026-11-22T08:22:10.651 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block a02ee1358deec918... #294 @ 2026-11-22T08:22:10.600 signed by bp.b [trxs: 0, lib: 270, conf: 0, latency: 51 ms]
info  2026-11-22T08:22:10.701 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block a81401a4c6f8a87a... #295 @ 2026-11-22T08:22:10.650 signed by bp.b [trxs: 0, lib: 271, conf: 0, latency: 51 ms]
info  2026-11-22T08:22:10.702 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 705f64a1098feed3... #296 @ 2026-11-22T08:22:10.700 signed by bp.c [trxs: 0, lib: 272, conf: 0, latency: 2 ms]
info  2026-11-22T08:22:10.751 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 6519b1da3714c48e... #297 @ 2026-11-22T08:22:10.750 signed by bp.c [trxs: 0, lib: 273, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.801 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 629ead522aee41b0... #298 @ 2026-11-22T08:22:10.800 signed by bp.c [trxs: 0, lib: 274, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.851 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block c3860730fd402d92... #299 @ 2026-11-22T08:22:10.850 signed by bp.c [trxs: 0, lib: 275, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.901 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block c3b4874a084528f5... #300 @ 2026-11-22T08:22:10.900 signed by bp.a [trxs: 0, lib: 276, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:10.951 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block db96f333cbb149fb... #301 @ 2026-11-22T08:22:10.950 signed by bp.a [trxs: 0, lib: 277, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:11.001 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 7eff040cb92c4742... #302 @ 2026-11-22T08:22:11.000 signed by bp.a [trxs: 0, lib: 278, conf: 0, latency: 1 ms]
info  2026-11-22T08:22:11.050 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 85957e63eebffa90... #303 @ 2026-11-22T08:22:11.050 signed by bp.a [trxs: 0, lib: 279, conf: 0, latency: 0 ms]
info  2026-11-22T08:22:11.151 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block b9c43c59327f9a8b... #304 @ 2026-11-22T08:22:11.100 signed by bp.b [trxs: 0, lib: 280, conf: 0, latency: 51 ms]
`;

const SCHEDULE = ["bp.a", "bp.b", "bp.c"];

// The state after each line, from #287 (bp.c) to #304 (bp.b's next round).
const PRODUCING_STATES: ProductionState[] = [
  "not-producing", // 287 bp.c: the producer after us, but we did not produce the round before
  ...Array<ProductionState>(4).fill("producing-next"), // 288-291 bp.a, the producer before us
  "producing",
  "producing",
  "producing", // 292-294 ours, produced here
  "just-produced", // 295: the round's 4th block, the round is over
  ...Array<ProductionState>(4).fill("just-produced"), // 296-299 bp.c
  ...Array<ProductionState>(4).fill("producing-next"), // 300-303 bp.a
  "producing", // 304
];

const RECEIVING_STATES: ProductionState[] = [
  "not-producing",
  ...Array<ProductionState>(4).fill("producing-next"),
  ...Array<ProductionState>(4).fill("not-producing"), // 292-295: ours, produced by another node
  ...Array<ProductionState>(4).fill("not-producing"), // 296-299: we produced nothing in that round
  ...Array<ProductionState>(4).fill("producing-next"),
  "not-producing", // 304: received again
];

function replay(text: string, prefix = "") {
  const tracker = new ProductionTracker({ producerName: "bp.b", blockInterval: 50, roundLength: 4 });
  tracker.setSchedule(SCHEDULE);
  const states: ProductionState[] = [];
  for (const line of text.trim().split("\n")) {
    const block = parseBlockLine(`${prefix}${line}`);
    if (block === undefined) throw new Error(`not a block line: ${line}`);
    tracker.observe(block);
    states.push(tracker.snapshot().state);
  }
  return { tracker, states };
}

describe.each([
  ["leap", LEAP_PRODUCING, LEAP_RECEIVING, ""],
  ["EOSIO 1.x", LEGACY_PRODUCING, LEGACY_RECEIVING, ""],
  ["leap with syslog prefixes", LEAP_PRODUCING, LEAP_RECEIVING, "<6>"],
])("production state from %s block lines", (_layout, producing, receiving, prefix) => {
  it("follows the rotation on the node that produces: next, producing, just produced", () => {
    const { tracker, states } = replay(producing, prefix);
    expect(states).toEqual(PRODUCING_STATES);
    const snap = tracker.snapshot();
    expect(snap.inSchedule).toBe(true);
    expect(snap.lastProducedHere?.num).toBe(304);
    expect(snap.lastProducedElsewhere).toBeUndefined();
  });

  it("never says producing on the node that only receives our blocks, and remembers where they came from", () => {
    const { tracker, states } = replay(receiving, prefix);
    expect(states).toEqual(RECEIVING_STATES);
    const snap = tracker.snapshot();
    expect(snap.lastProducedHere).toBeUndefined();
    expect(snap.lastProducedElsewhere?.num).toBe(304);
    expect(tracker.oursSince(0).map((b) => b.num)).toEqual([292, 293, 294, 295, 304]);
  });
});
