// grpc-js and proto-loader, loaded on first use: every `tokenstorm` command imports the protocol
// registry, and only grpc-voice runs should pay the ~100 ms these two take to load.
import { createRequire } from "node:module";

type GrpcJs = typeof import("@grpc/grpc-js");
type ProtoLoader = typeof import("@grpc/proto-loader");

const require = createRequire(import.meta.url);
let grpcModule: GrpcJs | undefined;
let loaderModule: ProtoLoader | undefined;

export function grpcJs(): GrpcJs {
  return (grpcModule ??= require("@grpc/grpc-js") as GrpcJs);
}

export function protoLoader(): ProtoLoader {
  return (loaderModule ??= require("@grpc/proto-loader") as ProtoLoader);
}
