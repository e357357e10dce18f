#!/usr/bin/env node
import { runNodeJs } from "@bufbuild/protoplugin";
import { protocGenRpcplugin } from "../dist/index.js";

runNodeJs(protocGenRpcplugin);
