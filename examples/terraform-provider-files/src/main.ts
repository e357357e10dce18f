/**
 * terraform-provider-files: Terraform launches this (managed mode), or run it
 * with `--debug` to serve for TF_REATTACH_PROVIDERS.
 */
import { serveProvider } from "@rpcplugin/terraform";
import { FILES_PROVIDER_ADDRESS, filesProvider } from "./provider.js";

await serveProvider(filesProvider, { address: FILES_PROVIDER_ADDRESS });
