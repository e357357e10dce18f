/**
 * The protocol-neutral core of a served provider: one method per provider
 * RPC, taking the fields tfplugin5 and tfplugin6 requests share and returning
 * response init shapes that fit both. `v5.ts` and `v6.ts` bind it to each
 * protocol's generated handler.
 *
 * Every method answers user and provider problems as diagnostics, never as
 * gRPC errors: a DiagnosticError becomes its diagnostic, a codec error or any
 * other thrown error an error diagnostic naming the operation (and logged
 * with its stack). A function that gives up on its aborted `context.signal`
 * (StopProvider, or the gRPC call cancelled or past its deadline) by throwing
 * the signal's reason or an AbortError answers an "Operation cancelled" error
 * diagnostic.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { anySignal, type CombinedSignal, ConfigError, type Logger } from "@rpcplugin/runtime";
import { CtyError, type CtyType, decodeJson, decodeJsonUntyped, fromDynamicValue, toDynamicValue, unknown } from "../cty/index.js";
import { checkAttributes } from "./attribute-checks.js";
import type { DataSource, EphemeralResource, Provider, RequestContext, Resource, ResourceIdentity } from "./define.js";
import { type AttributePath, attributePath, DiagnosticError, Diagnostics, formatPath, type WireAttributePath, type WireDiagnostic } from "./diagnostics.js";
import { type CallFunctionResult, checkFunction, type ProviderFunction, runFunction, toWireFunction, type WireFunction } from "./functions.js";
import {
  changedIdentityAttribute,
  checkIdentity,
  completeIdentity,
  type IdentityAttributes,
  identityType,
  isEmptyIdentity,
  toWireIdentitySchema,
  type WireIdentitySchema,
} from "./identity.js";
import { type ObjectValue, planChange } from "./plan.js";
import { PrivateState } from "./private-state.js";
import { type Block, blockType } from "./schema.js";
import { firstUnknown } from "./values.js";
import { checkBlock, toWireSchema, type WireSchema } from "./wire-schema.js";
import { firstWriteOnlySet, withoutWriteOnly } from "./write-only.js";

/** DynamicValue as both protocols carry it. */
export interface DynamicValueBytes {
  msgpack: Uint8Array;
  json: Uint8Array;
}

type Dyn = DynamicValueBytes | undefined;

/**
 * The gRPC call a request came in on (the runtime's CallContext): its signal
 * aborts when the client cancels the call or its deadline passes.
 */
export interface Call {
  readonly signal: AbortSignal;
}

/** The reason StopProvider aborts `context.signal` with. */
const STOP_REASON_MESSAGE = "Terraform asked the provider to stop";

/** Provider functions as the server calls them: the typed views of define.ts without their (deep) value types. */
type Loose<T> = {
  // biome-ignore lint/suspicious/noExplicitAny: the server calls the author's functions with the values it decoded, whose types only the schema knows
  [K in keyof T]: T[K] extends ((...args: never[]) => unknown) | undefined ? (request: any, context: RequestContext<any>) => unknown : T[K];
};
type LooseResource = Loose<Resource> & { identity?: Loose<ResourceIdentity> };
type LooseDataSource = Loose<DataSource>;
type LooseEphemeral = Loose<EphemeralResource>;

interface Typed<T> {
  readonly definition: T;
  readonly block: Block;
  readonly type: CtyType;
}

/** A resource's identity as the server uses it. */
interface TypedIdentity {
  readonly definition: Loose<ResourceIdentity>;
  readonly attributes: IdentityAttributes;
  readonly type: CtyType;
  readonly version: number;
}

interface TypedResource extends Typed<LooseResource> {
  readonly identity: TypedIdentity | undefined;
}

type WireState = ReturnType<typeof toDynamicValue>;
/** ResourceIdentityData as both protocols carry it. */
type WireIdentity = { identityData: WireState };
type IdentityRequest = { identityData?: Dyn } | undefined;

/** Responses of the core (init shapes that fit tfplugin5 and tfplugin6). */
export interface DiagnosticsResponse {
  diagnostics: WireDiagnostic[];
}
export interface UpgradeResourceStateResponse extends DiagnosticsResponse {
  upgradedState?: WireState;
}
export interface UpgradeResourceIdentityResponse extends DiagnosticsResponse {
  upgradedIdentity?: WireIdentity;
}
export interface GetResourceIdentitySchemasResponse extends DiagnosticsResponse {
  identitySchemas: Record<string, WireIdentitySchema>;
}
export interface ReadResourceResponse extends DiagnosticsResponse {
  newState?: WireState;
  private?: Uint8Array;
  newIdentity?: WireIdentity;
}
export interface PlanResourceChangeResponse extends DiagnosticsResponse {
  plannedState?: WireState;
  requiresReplace?: WireAttributePath[];
  plannedPrivate?: Uint8Array;
  plannedIdentity?: WireIdentity;
}
export interface ApplyResourceChangeResponse extends DiagnosticsResponse {
  newState?: WireState;
  private?: Uint8Array;
  newIdentity?: WireIdentity;
}
export interface ImportResourceStateResponse extends DiagnosticsResponse {
  importedResources?: { typeName: string; state: WireState; private: Uint8Array; identity?: WireIdentity }[];
}
export interface ReadDataSourceResponse extends DiagnosticsResponse {
  state?: WireState;
}
export interface MoveResourceStateResponse extends DiagnosticsResponse {
  targetState?: WireState;
  targetPrivate?: Uint8Array;
}
type WireTimestamp = ReturnType<typeof timestampFromDate>;
export interface OpenEphemeralResourceResponse extends DiagnosticsResponse {
  result?: WireState;
  renewAt?: WireTimestamp;
  private?: Uint8Array;
}
export interface RenewEphemeralResourceResponse extends DiagnosticsResponse {
  renewAt?: WireTimestamp;
  private?: Uint8Array;
}

/** Server capabilities this framework implements (moveResourceState: when a resource has moveState). */
const baseCapabilities = { planDestroy: false, getProviderSchemaOptional: false, moveResourceState: false, generateResourceConfig: false };

/** Serves one provider definition; one instance per provider process (or per reattach server). */
export class ProviderServer {
  readonly #provider: Loose<Provider>;
  readonly #logger: Logger;
  readonly #providerType: CtyType;
  readonly #resources = new Map<string, TypedResource>();
  readonly #dataSources = new Map<string, Typed<LooseDataSource>>();
  readonly #functions = new Map<string, ProviderFunction>();
  readonly #ephemeral = new Map<string, Typed<LooseEphemeral>>();
  readonly #capabilities: typeof baseCapabilities;
  /** Aborted by StopProvider; each stop replaces it, so only the calls running then are stopped. */
  #stop = new AbortController();
  #configured = false;
  #configuredValue: unknown;
  #schemaCache:
    | {
        provider: WireSchema;
        resourceSchemas: Record<string, WireSchema>;
        dataSourceSchemas: Record<string, WireSchema>;
        ephemeralResourceSchemas: Record<string, WireSchema>;
        functions: Record<string, WireFunction>;
      }
    | undefined;

  /** Checks the definition (names, schemas) and throws ConfigError on the first problem. */
  constructor(provider: Provider, logger: Logger) {
    this.#provider = provider as Loose<Provider>;
    this.#logger = logger;
    if (!/^[a-z][a-z0-9]*$/.test(provider.name))
      throw new ConfigError(`provider name ${JSON.stringify(provider.name)} must be lowercase letters and digits (the part before "_" in resource names)`);
    checkBlock(provider.schema, `provider ${JSON.stringify(provider.name)}`, { resource: false });
    this.#providerType = blockType(provider.schema);
    for (const [name, resource] of Object.entries(provider.resources ?? {})) {
      this.#checkTypeName(name, "resource");
      checkBlock(resource.schema, `resource ${JSON.stringify(name)}`, { resource: true });
      const version = resource.version ?? 0;
      if (!Number.isInteger(version) || version < 0)
        throw new ConfigError(`resource ${JSON.stringify(name)}: version must be a non-negative integer, got ${version}`);
      let identity: TypedIdentity | undefined;
      if (resource.identity !== undefined) {
        checkIdentity(resource.identity, `resource ${JSON.stringify(name)}`);
        const { attributes } = resource.identity;
        identity = {
          definition: resource.identity as Loose<ResourceIdentity>,
          attributes,
          type: identityType(attributes),
          version: resource.identity.version ?? 0,
        };
      }
      this.#resources.set(name, { definition: resource as LooseResource, block: resource.schema, type: blockType(resource.schema), identity });
    }
    for (const [name, dataSource] of Object.entries(provider.dataSources ?? {})) {
      this.#checkTypeName(name, "data source");
      checkBlock(dataSource.schema, `data source ${JSON.stringify(name)}`, { resource: false });
      this.#dataSources.set(name, { definition: dataSource as LooseDataSource, block: dataSource.schema, type: blockType(dataSource.schema) });
    }
    this.#capabilities = { ...baseCapabilities, moveResourceState: [...this.#resources.values()].some((r) => typeof r.definition.moveState === "function") };
    for (const [name, ephemeral] of Object.entries(provider.ephemeralResources ?? {})) {
      this.#checkTypeName(name, "ephemeral resource");
      checkBlock(ephemeral.schema, `ephemeral resource ${JSON.stringify(name)}`, { resource: false });
      this.#ephemeral.set(name, { definition: ephemeral as LooseEphemeral, block: ephemeral.schema, type: blockType(ephemeral.schema) });
    }
    for (const [name, fn] of Object.entries(provider.functions ?? {})) {
      checkFunction(name, fn);
      this.#functions.set(name, fn);
    }
  }

  #checkTypeName(name: string, kind: string): void {
    if (!name.startsWith(`${this.#provider.name}_`) || !/^[a-z0-9_]+$/.test(name)) {
      throw new ConfigError(`${kind} ${JSON.stringify(name)} must be named "${this.#provider.name}_<name>" in lowercase letters, digits and underscores`);
    }
  }

  /** The schemas of everything this provider serves. */
  schemas() {
    this.#schemaCache ??= {
      provider: toWireSchema(this.#provider.schema),
      resourceSchemas: Object.fromEntries([...this.#resources].map(([name, r]) => [name, toWireSchema(r.block, r.definition.version ?? 0)])),
      dataSourceSchemas: Object.fromEntries([...this.#dataSources].map(([name, d]) => [name, toWireSchema(d.block)])),
      ephemeralResourceSchemas: Object.fromEntries([...this.#ephemeral].map(([name, e]) => [name, toWireSchema(e.block)])),
      functions: Object.fromEntries([...this.#functions].map(([name, fn]) => [name, toWireFunction(fn)])),
    };
    return this.#schemaCache;
  }

  getMetadata() {
    return {
      serverCapabilities: this.#capabilities,
      diagnostics: [],
      resources: [...this.#resources.keys()].map((typeName) => ({ typeName })),
      dataSources: [...this.#dataSources.keys()].map((typeName) => ({ typeName })),
      ephemeralResources: [...this.#ephemeral.keys()].map((typeName) => ({ typeName })),
      functions: [...this.#functions.keys()].map((name) => ({ name })),
    };
  }

  getProviderSchema() {
    return { ...this.schemas(), diagnostics: [], serverCapabilities: this.#capabilities };
  }

  getFunctions() {
    return { functions: this.schemas().functions, diagnostics: [] };
  }

  /** The identity schemas of the resources that have one (Terraform ≥ 1.12 asks for them beside GetProviderSchema). */
  getResourceIdentitySchemas(): GetResourceIdentitySchemasResponse {
    const identitySchemas: Record<string, WireIdentitySchema> = {};
    for (const [name, resource] of this.#resources) {
      if (resource.identity) identitySchemas[name] = toWireIdentitySchema(resource.identity.attributes, resource.identity.version);
    }
    return { identitySchemas, diagnostics: [] };
  }

  /**
   * An identity stored at an older identity version, upgraded by the
   * resource's `identity.upgrade` (Terraform calls this on state load when
   * the stored version is not the current one).
   */
  async upgradeResourceIdentity(
    request: { typeName: string; version: bigint; rawIdentity?: { json: Uint8Array } | undefined },
    call?: Call,
  ): Promise<UpgradeResourceIdentityResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    return this.#run(`upgrade ${request.typeName} identity`, resource.type, call, async (context) => {
      const identity = resource.identity;
      if (!identity) {
        throw new DiagnosticError("Resource has no identity", {
          detail: `Terraform holds an identity for this ${request.typeName}, but the provider defines no identity for the resource type.`,
        });
      }
      const version = Number(request.version);
      const json = request.rawIdentity?.json ?? new Uint8Array();
      let value: unknown;
      if (version > identity.version) {
        throw new DiagnosticError("Resource identity is newer than the provider", {
          detail: `The identity of this ${request.typeName} was written by identity version ${version}, but this provider only knows versions up to ${identity.version}. Use a newer provider.`,
        });
      } else if (version === identity.version) {
        value = decodeJson(json, identity.type, { ignoreUndefinedAttributes: true });
      } else {
        if (!identity.definition.upgrade) {
          throw new DiagnosticError("Unable to upgrade resource identity", {
            detail: `The identity of this ${request.typeName} is at identity version ${version}, the provider's is ${identity.version}, and the resource's identity defines no upgrade.`,
          });
        }
        const raw = decodeJsonUntyped(json) as Record<string, unknown>;
        const upgraded = await identity.definition.upgrade({ version, identity: raw }, context);
        value = this.#completeIdentity(identity, upgraded, `upgrade of ${request.typeName}`);
      }
      if (context.diagnostics.hasErrors) return {};
      return { upgradedIdentity: { identityData: toDynamicValue(value, identity.type) } };
    });
  }

  /**
   * Runs a provider-defined function. It needs no configured provider (Terraform
   * calls functions before and without ConfigureProvider); its failures are the
   * response's FunctionError, naming the argument at fault when known.
   */
  async callFunction(request: { name: string; arguments: readonly Dyn[] }, call?: Call): Promise<CallFunctionResult> {
    const fn = this.#functions.get(request.name);
    if (!fn) {
      const known = [...this.#functions.keys()];
      return { error: { text: `This provider has no function ${JSON.stringify(request.name)}${known.length ? ` (it has ${known.join(", ")})` : ""}.` } };
    }
    const combined = call ? anySignal([this.#stop.signal, call.signal]) : undefined;
    const signal = combined?.signal ?? this.#stop.signal;
    this.#logger.trace(`call function ${request.name}`);
    try {
      return await runFunction(request.name, fn, request.arguments, { logger: this.#logger, signal });
    } finally {
      combined?.dispose();
    }
  }

  async validateProviderConfig(request: { config?: Dyn }, call?: Call): Promise<DiagnosticsResponse> {
    return this.#run("validate provider config", this.#providerType, call, async (context) => {
      const config = this.#decode(request.config, this.#providerType, "config") as ObjectValue;
      checkAttributes(this.#provider.schema, config, context.diagnostics);
      await this.#provider.validate?.({ config }, context);
      return {};
    });
  }

  async configureProvider(request: { config?: Dyn; terraformVersion: string }, call?: Call): Promise<DiagnosticsResponse> {
    return this.#run("configure provider", this.#providerType, call, async (context) => {
      const config = this.#decode(request.config, this.#providerType, "config") as ObjectValue;
      const value = await this.#provider.configure?.({ config, terraformVersion: request.terraformVersion }, context);
      if (!context.diagnostics.hasErrors) {
        this.#configured = true;
        this.#configuredValue = value;
      }
      return {};
    });
  }

  async validateResourceConfig(
    request: { typeName: string; config?: Dyn; clientCapabilities?: { writeOnlyAttributesAllowed: boolean } | undefined },
    call?: Call,
  ): Promise<DiagnosticsResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    return this.#validateConfig(`validate ${request.typeName}`, resource, request.config, call, (config) => {
      const writeOnly = request.clientCapabilities?.writeOnlyAttributesAllowed ? undefined : firstWriteOnlySet(resource.block, config);
      if (writeOnly) {
        throw new DiagnosticError("Write-only attribute not supported", {
          detail: `${formatPath(writeOnly)} is write-only, and this Terraform does not support write-only attributes: it would keep the value in plan and state. Use Terraform 1.11 or OpenTofu 1.11 or later, or leave it unset.`,
          path: writeOnly,
        });
      }
    });
  }

  async validateDataResourceConfig(request: { typeName: string; config?: Dyn }, call?: Call): Promise<DiagnosticsResponse> {
    const dataSource = this.#dataSources.get(request.typeName);
    if (!dataSource) return unknownType("data source", request.typeName);
    return this.#validateConfig(`validate data ${request.typeName}`, dataSource, request.config, call);
  }

  /** Decodes a configuration, runs the attributes' validators, then the definition's `validate`. */
  #validateConfig(
    operation: string,
    typed: Typed<{ validate?: (request: { config: ObjectValue }, context: RequestContext) => unknown }>,
    value: Dyn,
    call: Call | undefined,
    before?: (config: ObjectValue) => void,
  ): Promise<DiagnosticsResponse> {
    return this.#run(operation, typed.type, call, async (context) => {
      const config = this.#decode(value, typed.type, "config") as ObjectValue;
      before?.(config);
      checkAttributes(typed.block, config, context.diagnostics);
      await typed.definition.validate?.({ config }, context);
      return {};
    });
  }

  async upgradeResourceState(
    request: { typeName: string; version: bigint; rawState?: { json: Uint8Array; flatmap: Record<string, string> } | undefined },
    call?: Call,
  ): Promise<UpgradeResourceStateResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    return this.#run(`upgrade ${request.typeName} state`, resource.type, call, async (context) => {
      const json = request.rawState?.json ?? new Uint8Array();
      if (json.length === 0) {
        throw new DiagnosticError("Unsupported state format", {
          detail: `The state of this ${request.typeName} is in the legacy flatmap format, which this provider cannot read. Upgrade it with an older provider version first.`,
        });
      }
      const version = Number(request.version);
      const current = resource.definition.version ?? 0;
      let state: unknown;
      if (version === current) {
        // Attributes the schema no longer has are dropped at every depth (a removed attribute must not make state unreadable).
        state = decodeJson(json, resource.type, { ignoreUndefinedAttributes: true });
      } else if (version > current) {
        throw new DiagnosticError("Resource state is newer than the provider", {
          detail: `The state of this ${request.typeName} was written by schema version ${version}, but this provider only knows versions up to ${current}. Use a newer provider.`,
        });
      } else {
        if (!resource.definition.upgradeState) {
          throw new DiagnosticError("Unable to upgrade resource state", {
            detail: `The state of this ${request.typeName} is at schema version ${version}, the provider's is ${current}, and the resource defines no upgradeState.`,
          });
        }
        const raw = decodeJsonUntyped(json) as Record<string, unknown>;
        const upgraded = await resource.definition.upgradeState({ version, state: raw }, context);
        state = completeObject(resource.block, upgraded as ObjectValue, null);
      }
      if (context.diagnostics.hasErrors) return {};
      return { upgradedState: toDynamicValue(state, resource.type) };
    });
  }

  async readResource(
    request: { typeName: string; currentState?: Dyn; private: Uint8Array; currentIdentity?: IdentityRequest },
    call?: Call,
  ): Promise<ReadResourceResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    const privateState = new PrivateState(request.private);
    return this.#run(
      `read ${request.typeName}`,
      resource.type,
      call,
      async (context) => {
        const state = this.#decode(request.currentState, resource.type, "current_state") as ObjectValue | null;
        if (state === null) return { newState: toDynamicValue(null, resource.type), private: request.private };
        const storedIdentity = this.#decodeIdentity(resource, request.currentIdentity, "current_identity");
        const read = resource.definition.read;
        const fresh = read ? await read({ state }, context) : state;
        if (context.diagnostics.hasErrors) return {};
        const newState =
          fresh === null ? null : withoutWriteOnly(resource.block, this.#known(completeObject(resource.block, fresh as ObjectValue, state), "read"));
        const newIdentity = newState === null ? undefined : await this.#identityOf(resource, newState, storedIdentity, "read", context);
        return { newState: toDynamicValue(newState, resource.type), private: privateState.toBytes(), ...(newIdentity ? { newIdentity } : {}) };
      },
      privateState,
    );
  }

  async planResourceChange(
    request: { typeName: string; priorState?: Dyn; proposedNewState?: Dyn; config?: Dyn; priorPrivate: Uint8Array; priorIdentity?: IdentityRequest },
    call?: Call,
  ): Promise<PlanResourceChangeResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    const privateState = new PrivateState(request.priorPrivate);
    return this.#run(
      `plan ${request.typeName}`,
      resource.type,
      call,
      async (context) => {
        const prior = this.#decode(request.priorState, resource.type, "prior_state") as ObjectValue | null;
        // Write-only values do not take part in planning: a new one alone is no change (bump a version attribute instead).
        const proposedRaw = this.#decode(request.proposedNewState, resource.type, "proposed_new_state") as ObjectValue | null;
        const proposed = proposedRaw === null ? null : withoutWriteOnly(resource.block, proposedRaw);
        const config = this.#decode(request.config, resource.type, "config") as ObjectValue | null;
        let { planned, requiresReplace } = planChange(resource.block, prior, proposed, config);
        if (planned !== null && resource.definition.plan) {
          const custom = (await resource.definition.plan({ config, prior, planned }, context)) as
            | { planned?: unknown; requiresReplace?: AttributePath[] }
            | undefined;
          if (custom?.planned !== undefined) planned = custom.planned as ObjectValue;
          if (custom?.requiresReplace) requiresReplace = [...requiresReplace, ...custom.requiresReplace];
        }
        if (context.diagnostics.hasErrors) return {};
        return {
          plannedState: toDynamicValue(planned === null ? null : withoutWriteOnly(resource.block, planned), resource.type),
          requiresReplace: requiresReplace.map((path) => attributePath(path, resource.type)),
          plannedPrivate: privateState.toBytes(),
          ...this.#plannedIdentity(resource, prior, planned, request.priorIdentity),
        };
      },
      privateState,
    );
  }

  async applyResourceChange(
    request: { typeName: string; priorState?: Dyn; plannedState?: Dyn; config?: Dyn; plannedPrivate: Uint8Array; plannedIdentity?: IdentityRequest },
    call?: Call,
  ): Promise<ApplyResourceChangeResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    const privateState = new PrivateState(request.plannedPrivate);
    return this.#run(
      `apply ${request.typeName}`,
      resource.type,
      call,
      async (context) => {
        const prior = this.#decode(request.priorState, resource.type, "prior_state") as ObjectValue | null;
        const planned = this.#decode(request.plannedState, resource.type, "planned_state") as ObjectValue | null;
        const config = this.#decode(request.config, resource.type, "config") as ObjectValue | null;
        const definition = resource.definition;
        let newState: ObjectValue | null;
        if (planned === null) {
          if (prior !== null) await definition.delete({ state: prior }, context);
          newState = null;
        } else if (prior === null) {
          const created = await definition.create({ config, planned }, context);
          newState = completeObject(resource.block, created as ObjectValue, planned);
        } else {
          if (!definition.update) {
            throw new DiagnosticError("Update not supported", {
              detail: `${request.typeName} has no update: mark every configurable attribute requiresReplace, or implement update.`,
            });
          }
          const updated = await definition.update({ config, planned, prior }, context);
          newState = completeObject(resource.block, updated as ObjectValue, planned);
        }
        if (context.diagnostics.hasErrors) {
          // Terraform keeps the prior state when the new one is missing; on a failed create that is null.
          return {};
        }
        const known = newState === null ? null : withoutWriteOnly(resource.block, this.#known(newState, "apply"));
        let newIdentity: WireIdentity | undefined;
        if (known !== null) {
          const operation = prior === null ? "create" : "update";
          const stored = prior === null ? null : this.#decodeIdentity(resource, request.plannedIdentity, "planned_identity");
          try {
            newIdentity = await this.#identityOf(resource, known, stored, operation, context);
          } catch (error) {
            // The object exists now: answer its state with the error, so that Terraform keeps track of it.
            if (error instanceof DiagnosticError) context.diagnostics.add(error.diagnostic);
            else {
              this.#logger.error(`identity of ${request.typeName} after ${operation} failed`, { error: (error as Error)?.stack ?? String(error) });
              context.diagnostics.error(`Unexpected error in the identity of ${request.typeName}`, error instanceof Error ? error.message : String(error));
            }
          }
        }
        return { newState: toDynamicValue(known, resource.type), private: privateState.toBytes(), ...(newIdentity ? { newIdentity } : {}) };
      },
      privateState,
    );
  }

  async importResourceState(request: { typeName: string; id: string; identity?: IdentityRequest }, call?: Call): Promise<ImportResourceStateResponse> {
    const resource = this.#resources.get(request.typeName);
    if (!resource) return unknownType("resource", request.typeName);
    const privateState = new PrivateState(new Uint8Array());
    return this.#run(
      `import ${request.typeName}`,
      resource.type,
      call,
      async (context) => {
        if (!resource.definition.importState) {
          throw new DiagnosticError("Resource import not supported", {
            detail: `${request.typeName} cannot be imported: the provider defines no importState for it.`,
          });
        }
        const identity = this.#decodeIdentity(resource, request.identity, "identity") as Record<string, unknown> | null;
        const imported = await resource.definition.importState({ id: request.id, identity }, context);
        if (context.diagnostics.hasErrors) return {};
        const state = withoutWriteOnly(resource.block, completeObject(resource.block, imported as ObjectValue, null));
        // The identity imported by stays the object's until the read after the import sets the whole of it.
        const importedIdentity =
          resource.identity && !isEmptyIdentity(identity) ? { identityData: toDynamicValue(identity, resource.identity.type) } : undefined;
        return {
          importedResources: [
            {
              typeName: request.typeName,
              state: toDynamicValue(state, resource.type),
              private: privateState.toBytes(),
              ...(importedIdentity ? { identity: importedIdentity } : {}),
            },
          ],
        };
      },
      privateState,
    );
  }

  async moveResourceState(
    request: {
      sourceProviderAddress: string;
      sourceTypeName: string;
      sourceSchemaVersion: bigint;
      sourceState?: { json: Uint8Array; flatmap: Record<string, string> } | undefined;
      targetTypeName: string;
      sourcePrivate: Uint8Array;
      sourceIdentity?: { json: Uint8Array } | undefined;
    },
    call?: Call,
  ): Promise<MoveResourceStateResponse> {
    const resource = this.#resources.get(request.targetTypeName);
    if (!resource) return unknownType("resource", request.targetTypeName);
    const from = `${request.sourceTypeName} (${request.sourceProviderAddress})`;
    return this.#run(`move ${from} to ${request.targetTypeName}`, resource.type, call, async (context) => {
      const move = resource.definition.moveState;
      const json = request.sourceState?.json ?? new Uint8Array();
      if (!move || json.length === 0) {
        throw new DiagnosticError("Unable to move resource state", {
          detail: !move
            ? `${request.targetTypeName} cannot be the target of a moved block: the provider defines no moveState for it.`
            : `The state of ${from} is in the legacy flatmap format, which this provider cannot read.`,
        });
      }
      const state = decodeJsonUntyped(json) as Record<string, unknown>;
      const identityJson = request.sourceIdentity?.json ?? new Uint8Array();
      const sourceIdentity = identityJson.length === 0 ? null : (decodeJsonUntyped(identityJson) as Record<string, unknown> | null);
      const moved = await move(
        {
          sourceTypeName: request.sourceTypeName,
          sourceProviderAddress: request.sourceProviderAddress,
          sourceVersion: Number(request.sourceSchemaVersion),
          state,
          sourceIdentity,
        },
        context,
      );
      if (context.diagnostics.hasErrors) return {};
      if (moved === undefined) {
        throw new DiagnosticError("Unable to move resource state", {
          detail: `${request.targetTypeName} does not move from ${from}: its moveState returned nothing for that source.`,
        });
      }
      const target = withoutWriteOnly(resource.block, completeObject(resource.block, moved as ObjectValue, null));
      return { targetState: toDynamicValue(target, resource.type), targetPrivate: new Uint8Array() };
    });
  }

  async readDataSource(request: { typeName: string; config?: Dyn }, call?: Call): Promise<ReadDataSourceResponse> {
    const dataSource = this.#dataSources.get(request.typeName);
    if (!dataSource) return unknownType("data source", request.typeName);
    return this.#run(`read data ${request.typeName}`, dataSource.type, call, async (context) => {
      const config = this.#decode(request.config, dataSource.type, "config") as ObjectValue;
      const read = await dataSource.definition.read({ config }, context);
      if (context.diagnostics.hasErrors) return {};
      const state = this.#known(completeObject(dataSource.block, read as ObjectValue, config), "read");
      return { state: toDynamicValue(state, dataSource.type) };
    });
  }

  async validateEphemeralResourceConfig(request: { typeName: string; config?: Dyn }, call?: Call): Promise<DiagnosticsResponse> {
    const ephemeral = this.#ephemeral.get(request.typeName);
    if (!ephemeral) return unknownType("ephemeral resource", request.typeName);
    return this.#validateConfig(`validate ephemeral ${request.typeName}`, ephemeral, request.config, call);
  }

  async openEphemeralResource(request: { typeName: string; config?: Dyn }, call?: Call): Promise<OpenEphemeralResourceResponse> {
    const ephemeral = this.#ephemeral.get(request.typeName);
    if (!ephemeral) return unknownType("ephemeral resource", request.typeName);
    return this.#run(`open ephemeral ${request.typeName}`, ephemeral.type, call, async (context) => {
      const config = this.#decode(request.config, ephemeral.type, "config") as ObjectValue;
      // A configuration still unknown in part (during plan): the value is unknown until apply.
      if (firstUnknown(config)) return { result: toDynamicValue(unknown(), ephemeral.type) };
      const opened = (await ephemeral.definition.open({ config }, context)) as { result?: unknown; renewAt?: Date; private?: unknown } | undefined;
      if (context.diagnostics.hasErrors) return {};
      const result = this.#known(completeObject(ephemeral.block, opened?.result as ObjectValue, config), "open");
      return { result: toDynamicValue(result, ephemeral.type), ...renewal(opened?.renewAt, opened?.private) };
    });
  }

  async renewEphemeralResource(request: { typeName: string; private?: Uint8Array | undefined }, call?: Call): Promise<RenewEphemeralResourceResponse> {
    const ephemeral = this.#ephemeral.get(request.typeName);
    if (!ephemeral) return unknownType("ephemeral resource", request.typeName);
    return this.#run(`renew ephemeral ${request.typeName}`, ephemeral.type, call, async (context) => {
      const renew = ephemeral.definition.renew;
      if (!renew) return {};
      const renewed = (await renew({ private: readPrivate(request.private) }, context)) as { renewAt?: Date; private?: unknown } | undefined;
      if (context.diagnostics.hasErrors) return {};
      return renewal(renewed?.renewAt, renewed?.private);
    });
  }

  async closeEphemeralResource(request: { typeName: string; private?: Uint8Array | undefined }, call?: Call): Promise<DiagnosticsResponse> {
    const ephemeral = this.#ephemeral.get(request.typeName);
    if (!ephemeral) return unknownType("ephemeral resource", request.typeName);
    return this.#run(`close ephemeral ${request.typeName}`, ephemeral.type, call, async (context) => {
      await ephemeral.definition.close?.({ private: readPrivate(request.private) }, context);
      return {};
    });
  }

  /**
   * Terraform's interrupt (Ctrl-C; tfplugin5 `Stop`): aborts `context.signal`
   * of every call running now and answers at once, without waiting for them.
   * Calls that start afterwards get a fresh signal, as in Terraform's own
   * SDKv2: a debug server that Terraform stopped once (it stops reattached
   * providers too) still serves the next terraform command.
   */
  stopProvider() {
    this.#logger.info("stop requested: cancelling provider operations");
    const stopping = this.#stop;
    this.#stop = new AbortController();
    stopping.abort(new Error(STOP_REASON_MESSAGE));
    return { Error: "" };
  }

  #decode(value: Dyn, type: CtyType, field: string): unknown {
    if (value === undefined || (value.msgpack.length === 0 && value.json.length === 0)) return null;
    try {
      return fromDynamicValue(value, type);
    } catch (error) {
      throw new DiagnosticError(`Invalid ${field}`, {
        detail: `Terraform sent a value the schema does not describe: ${(error as Error).message}`,
        cause: error,
      });
    }
  }

  #decodeIdentity(resource: TypedResource, data: IdentityRequest, field: string): unknown {
    return resource.identity ? this.#decode(data?.identityData, resource.identity.type, field) : null;
  }

  /**
   * The planned identity: the stored one when updating, none on create or destroy. Not unknown on
   * create: OpenTofu 1.12 keeps the planned identity in its working state, which cannot hold unknowns.
   */
  #plannedIdentity(resource: TypedResource, prior: ObjectValue | null, planned: ObjectValue | null, priorIdentity: IdentityRequest) {
    const identity = resource.identity;
    if (!identity || planned === null || prior === null) return {};
    const stored = this.#decodeIdentity(resource, priorIdentity, "prior_identity");
    return isEmptyIdentity(stored) ? {} : { plannedIdentity: { identityData: toDynamicValue(stored, identity.type) } };
  }

  #completeIdentity(identity: TypedIdentity, returned: unknown, operation: string): Record<string, unknown> {
    try {
      return completeIdentity(identity.attributes, returned);
    } catch (error) {
      throw new DiagnosticError("Invalid resource identity", { detail: `After ${operation}: ${(error as Error).message}.`, cause: error });
    }
  }

  /**
   * The identity of a known state from the resource's `identity.of`, checked:
   * not empty, wholly known, and (unless mutable) not changing what `stored` holds.
   */
  async #identityOf(
    resource: TypedResource,
    state: ObjectValue,
    stored: unknown,
    operation: string,
    context: RequestContext,
  ): Promise<WireIdentity | undefined> {
    const identity = resource.identity;
    if (!identity) return undefined;
    const value = this.#completeIdentity(identity, await identity.definition.of({ state }, context), operation);
    if (isEmptyIdentity(value)) {
      throw new DiagnosticError("Missing resource identity", {
        detail: `After ${operation}, identity.of returned no value for any identity attribute (${Object.keys(identity.attributes).join(", ")}): an identity must name its object.`,
      });
    }
    const unknownAt = firstUnknown(value);
    if (unknownAt)
      throw new DiagnosticError("Provider returned an unknown identity", {
        detail: `After ${operation}, identity attribute ${formatPath(unknownAt)} is unknown.`,
      });
    const changed = identity.definition.mutable ? undefined : changedIdentityAttribute(identity.attributes, stored, value);
    if (changed !== undefined) {
      const before = (stored as Record<string, unknown>)[changed];
      throw new DiagnosticError("Unexpected identity change", {
        detail: `During ${operation}, identity attribute ${changed} changed from ${showValue(before)} to ${showValue(value[changed])}. An identity names one remote object for good; if this resource's identity may change, set identity.mutable.`,
      });
    }
    try {
      return { identityData: toDynamicValue(value, identity.type) };
    } catch (error) {
      throw new DiagnosticError("Invalid resource identity", { detail: `After ${operation}: ${(error as Error).message}.`, cause: error });
    }
  }

  #known(value: ObjectValue, operation: string): ObjectValue {
    const path = firstUnknown(value);
    if (path) {
      throw new DiagnosticError("Provider returned an unknown value", {
        detail: `After ${operation}, ${formatPath(path)} is still unknown: every attribute must have a known value (null is allowed).`,
        path,
      });
    }
    return value;
  }

  /**
   * Runs one provider operation with its context and turns its failures into
   * diagnostics. `context.signal` follows StopProvider and, when the call
   * came over gRPC, the call's own cancellation; it is made on first read
   * (the call's signal is lazy in the runtime too).
   */
  async #run<R extends object>(
    operation: string,
    type: CtyType,
    call: Call | undefined,
    body: (context: RequestContext) => Promise<R>,
    privateState: PrivateState = new PrivateState(undefined),
  ): Promise<R & { diagnostics: WireDiagnostic[] }> {
    const diagnostics = new Diagnostics();
    const configured = this.#configured;
    const value = this.#configuredValue;
    const stop = this.#stop.signal;
    let signal: AbortSignal | undefined;
    // Either source aborts it. The listeners go when the operation ends, so none pile up on the
    // provider-wide stop signal.
    let combined: CombinedSignal | undefined;
    const signalOf = (): AbortSignal => {
      if (signal) return signal;
      if (!call) return (signal = stop);
      combined = anySignal([stop, call.signal]);
      return (signal = combined.signal);
    };
    const context: RequestContext = {
      get provider() {
        if (!configured)
          throw new DiagnosticError("Provider not configured", {
            detail: "This operation needs the provider's configuration, which Terraform has not sent yet.",
          });
        return value;
      },
      logger: this.#logger,
      diagnostics,
      get signal() {
        return signalOf();
      },
      get private() {
        return privateState.value;
      },
      setPrivate: (next) => privateState.set(next),
    };
    let result: R | undefined;
    this.#logger.trace(operation);
    try {
      result = await body(context);
    } catch (error) {
      const cancelled = signal?.aborted ? cancellation(error, signal.reason) : undefined;
      if (cancelled !== undefined) {
        this.#logger.info(`${operation} cancelled`, { reason: cancelled });
        diagnostics.error("Operation cancelled", `${capitalize(operation)} stopped before it finished: ${cancelled}.`);
      } else if (error instanceof DiagnosticError) diagnostics.add(error.diagnostic);
      else if (error instanceof CtyError) diagnostics.error(`Invalid value in ${operation}`, error.message);
      else {
        this.#logger.error(`${operation} failed`, { error: (error as Error)?.stack ?? String(error) });
        diagnostics.error(`Unexpected error in ${operation}`, error instanceof Error ? error.message : String(error));
      }
    } finally {
      combined?.dispose();
    }
    return { ...((result ?? {}) as R), diagnostics: diagnostics.toWire(type) };
  }
}

/**
 * The reason's message when `error` is how provider code gave up on an
 * aborted signal: the signal's reason itself (`throw signal.reason`,
 * `signal.throwIfAborted()`) or an AbortError (what Node's APIs taking a
 * `signal` reject with); undefined for any other error.
 */
function cancellation(error: unknown, reason: unknown): string | undefined {
  const isAbort = error === reason || (error instanceof Error && error.name === "AbortError");
  if (!isAbort) return undefined;
  return reason instanceof Error ? reason.message : String(reason);
}

/** renew_at and private of an open or renew response, from what provider code returned. */
function renewal(renewAt: Date | undefined, data: unknown): { renewAt?: WireTimestamp; private?: Uint8Array } {
  if (renewAt !== undefined && !(renewAt instanceof Date && Number.isFinite(renewAt.getTime()))) {
    throw new DiagnosticError("Invalid renewAt", { detail: `renewAt must be a valid Date, got ${String(renewAt)}.` });
  }
  let bytes: Uint8Array | undefined;
  if (data !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (error) {
      throw new DiagnosticError("Invalid private data", { detail: `private must be JSON-serializable: ${(error as Error).message}`, cause: error });
    }
    bytes = new TextEncoder().encode(text);
  }
  return { ...(renewAt ? { renewAt: timestampFromDate(renewAt) } : {}), ...(bytes ? { private: bytes } : {}) };
}

/** The private data `open` or `renew` returned, as Terraform hands it back (undefined when there was none). */
function readPrivate(bytes: Uint8Array | undefined): unknown {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new DiagnosticError("Invalid private data", { detail: "Terraform sent back private data this provider did not write (not JSON).", cause: error });
  }
}

function showValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? `[${value.map(showValue).join(", ")}]` : String(value);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function unknownType(kind: string, typeName: string) {
  const diagnostic: WireDiagnostic = {
    severity: 1,
    summary: `Unknown ${kind} type`,
    detail: `This provider has no ${kind} type ${JSON.stringify(typeName)}.`,
  };
  return { diagnostics: [diagnostic] };
}

/**
 * The full object of a block from what provider code returned: attributes
 * it left out (undefined) come from `fallback` (the plan or config) when
 * known there, else null.
 */
function completeObject(block: Block, returned: ObjectValue | null | undefined, fallback: ObjectValue | null): ObjectValue {
  if (returned === null || returned === undefined || typeof returned !== "object") {
    throw new DiagnosticError("Provider returned no object", { detail: "The provider function returned nothing where a state object was expected." });
  }
  const out: ObjectValue = {};
  for (const name of [...Object.keys(block.attributes), ...Object.keys(block.blocks ?? {})]) {
    const own = returned[name];
    out[name] = own !== undefined ? own : (fallback?.[name] ?? null);
  }
  return out;
}
