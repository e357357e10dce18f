/**
 * What a provider author writes: a provider (schema, configure, resources,
 * data sources, functions), each resource's CRUD functions and each data source's read,
 * with config and state typed from the schemas. Values are plain JS values
 * (strings, numbers, booleans, arrays, objects, null); unknown values are
 * {@link Unknown} markers, only ever seen in configuration during
 * validate/plan and in planned state.
 */
// biome-ignore-all lint/suspicious/noExplicitAny: a resource's provider-data type defaults to any, because a resource is written apart from the provider that configures it, and the provider's list of resources must accept each one's functions whatever it declared
import type { Logger } from "@rpcplugin/runtime";
import type { AttributePath, Diagnostics } from "./diagnostics.js";
import type { ProviderFunction } from "./functions.js";
import type { IdentityAttributes, IdentityOf } from "./identity.js";
import type { Block, MaybeUnknown, ObjectOf } from "./schema.js";

/** Passed to every provider function. */
export interface RequestContext<P = unknown> {
  /**
   * What the provider's `configure` returned. Reading it before Terraform
   * configured the provider throws a DiagnosticError (validate and
   * upgradeState run before configure).
   */
  readonly provider: P;
  /** Logs through the plugin's hclog logger (Terraform shows them under TF_LOG). */
  readonly logger: Logger;
  /** Add warnings and errors; errors fail the operation once the function returns. */
  readonly diagnostics: Diagnostics;
  /**
   * Aborted when Terraform asks the provider to stop (StopProvider, tfplugin5
   * `Stop`: Ctrl-C) while this call runs, or when Terraform cancels the gRPC
   * call or its deadline passes. Pass it to what the function waits on. To
   * give up, throw its reason (`signal.throwIfAborted()`) or let the
   * AbortError of an API given the signal propagate: the call then answers an
   * error diagnostic "Operation cancelled" (any other error stays what it is).
   * StopProvider answers at once, without waiting for the calls it stops, and
   * calls that start after it get a fresh signal.
   */
  readonly signal: AbortSignal;
  /**
   * The resource instance's private data (a JSON value the provider stored
   * with {@link RequestContext.setPrivate}; undefined when none): kept by
   * Terraform beside the state, never shown, handed back to read, plan and apply.
   */
  readonly private: unknown;
  /** Replaces the private data (in a resource's read, plan, create, update, delete and import). */
  setPrivate(value: unknown): void;
}

/** A managed resource type. */
export interface Resource<B extends Block = Block, P = any, A extends IdentityAttributes = IdentityAttributes> {
  readonly schema: B;
  /** Schema version recorded in state; raise it when the state shape changes (see {@link Resource.upgradeState}). */
  readonly version?: number;
  /**
   * The resource's identity (Terraform ≥ 1.12, OpenTofu ≥ 1.12): see {@link ResourceIdentity}.
   * Terraform versions before it ignore it.
   */
  readonly identity?: ResourceIdentity<B, P, A>;
  /**
   * Extra planning after the framework's (computed attributes unknown,
   * `requiresReplace`): return the planned state to use (may contain
   * unknowns) and any more attribute paths that force a replace.
   */
  plan?(
    request: { config: NoInfer<MaybeUnknown<B>>; prior: NoInfer<ObjectOf<B>> | null; planned: NoInfer<MaybeUnknown<B>> },
    context: RequestContext<P>,
  ): NoInfer<Promise<PlanResult<B> | undefined> | PlanResult<B> | undefined>;
  /** Creates the object; returns the new state (attributes left out are taken from the plan). */
  create(
    request: { config: NoInfer<ObjectOf<B>>; planned: NoInfer<MaybeUnknown<B>> },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<ObjectOf<B>>> | Partial<ObjectOf<B>>>;
  /** Refreshes: the current state, or null when the object is gone. Default: the state unchanged. */
  read?(request: { state: NoInfer<ObjectOf<B>> }, context: RequestContext<P>): NoInfer<Promise<ObjectOf<B> | null> | ObjectOf<B> | null>;
  /** Updates in place (attributes without `requiresReplace` changed). Default: error unless every change forces a replace. */
  update?(
    request: { config: NoInfer<ObjectOf<B>>; planned: NoInfer<MaybeUnknown<B>>; prior: NoInfer<ObjectOf<B>> },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<ObjectOf<B>>> | Partial<ObjectOf<B>>>;
  /** Deletes the object. */
  delete(request: { state: NoInfer<ObjectOf<B>> }, context: RequestContext<P>): Promise<void> | void;
  /**
   * `terraform import` / import blocks: the state for an `id`, or, when an
   * import block gives the resource's `identity` instead (`id` is then ""),
   * for that identity (attributes left out are null). Terraform then calls
   * `read` on it. Without it, import fails with a diagnostic.
   */
  importState?(
    request: { id: string; identity: NoInfer<IdentityOf<A>> | null },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<ObjectOf<B>>> | Partial<ObjectOf<B>>>;
  /**
   * Upgrades state written at an older schema `version` (the state's
   * attributes as stored, read losslessly from JSON: null-prototype objects,
   * numbers as `number` when exact, else `CtyNumber`) to the current schema. Terraform
   * calls UpgradeResourceState on every state load; at the current version
   * the framework decodes the state itself and this is not called.
   */
  upgradeState?(
    request: { version: number; state: Record<string, unknown> },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<ObjectOf<B>>> | Partial<ObjectOf<B>>>;
  /** Extra validation of the configuration (which may contain unknowns). */
  validate?(request: { config: NoInfer<MaybeUnknown<B>> }, context: RequestContext<P>): Promise<void> | void;
  /**
   * `moved { from = <other type>.x, to = <this type>.x }` (Terraform ≥ 1.8):
   * this resource's state made from another resource type's (of this provider
   * or another, at `sourceProviderAddress`), given as stored (`state`, read
   * losslessly from JSON, at the source's schema `sourceVersion`). Return
   * undefined for a source it does not move from: Terraform then reports that
   * the move is not supported. Terraform reads the moved object next (which
   * gives it its identity). `sourceIdentity`: the source's identity as stored, or null.
   */
  moveState?(
    request: {
      sourceTypeName: string;
      sourceProviderAddress: string;
      sourceVersion: number;
      state: Record<string, unknown>;
      sourceIdentity: Record<string, unknown> | null;
    },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<ObjectOf<B>> | undefined> | Partial<ObjectOf<B>> | undefined>;
}

/**
 * A resource's identity: its attributes and how to derive it from a state.
 * The framework stores `of(state)` after every create, update and read, plans
 * it (unknown on create, the stored one on update), hands an import block's
 * identity to `importState`, and refuses an identity that changes once stored
 * unless `mutable` (an error naming the attribute).
 */
export interface ResourceIdentity<B extends Block = Block, P = any, A extends IdentityAttributes = IdentityAttributes> {
  /** The identity's attributes: strings, numbers, bools or lists of them. */
  readonly attributes: A;
  /** Identity schema version, apart from the state's; raise it when the attributes change (see `upgrade`). */
  readonly version?: number;
  /** The identity of the object `state` describes (state is wholly known here). Must set at least one attribute. */
  of(request: { state: NoInfer<ObjectOf<B>> }, context: RequestContext<P>): NoInfer<Promise<IdentityOf<A>> | IdentityOf<A>>;
  /**
   * Upgrades an identity stored at an older `version` (as stored, read
   * losslessly from JSON) to the current attributes. Terraform calls it on state load.
   */
  upgrade?(
    request: { version: number; identity: Record<string, unknown> },
    context: RequestContext<P>,
  ): NoInfer<Promise<Partial<IdentityOf<A>>> | Partial<IdentityOf<A>>>;
  /** The identity may change on update or read (the default refuses a change: it means a different remote object). */
  readonly mutable?: boolean;
}

/** What a resource's `plan` may return. */
export interface PlanResult<B extends Block> {
  planned?: NoInfer<MaybeUnknown<B>>;
  requiresReplace?: AttributePath[];
}

/** A data source type. */
export interface DataSource<B extends Block = Block, P = any> {
  readonly schema: B;
  /** Reads the data: returns the state (attributes left out are taken from the configuration). */
  read(request: { config: NoInfer<ObjectOf<B>> }, context: RequestContext<P>): NoInfer<Promise<Partial<ObjectOf<B>>> | Partial<ObjectOf<B>>>;
  validate?(request: { config: NoInfer<MaybeUnknown<B>> }, context: RequestContext<P>): Promise<void> | void;
}

/**
 * An ephemeral resource type (`ephemeral "<type>" "<name>" { … }`; Terraform ≥ 1.10, OpenTofu ≥
 * 1.11): a value opened for the length of one Terraform operation and never written to plan or
 * state, such as a short-lived credential read for a provider's configuration.
 */
export interface EphemeralResource<B extends Block = Block, P = any> {
  readonly schema: B;
  /**
   * Opens it: the result (attributes left out are taken from the
   * configuration); `renewAt` asks Terraform to call {@link EphemeralResource.renew} by then while
   * it still needs the value; `private` (JSON-serializable) comes back to
   * renew and close. Not called while the configuration holds unknown values:
   * the result is then unknown.
   */
  open(request: { config: NoInfer<ObjectOf<B>> }, context: RequestContext<P>): NoInfer<Promise<EphemeralOpened<B>> | EphemeralOpened<B>>;
  /** Extends what `open` made (a lease, a token) before `renewAt`; returns the next `renewAt` and `private`. */
  renew?(request: { private: unknown }, context: RequestContext<P>): Promise<EphemeralRenewed> | EphemeralRenewed;
  /** Releases what `open` made, once Terraform no longer needs the value. */
  close?(request: { private: unknown }, context: RequestContext<P>): Promise<void> | void;
  validate?(request: { config: NoInfer<MaybeUnknown<B>> }, context: RequestContext<P>): Promise<void> | void;
}

/** What an ephemeral resource's `open` returns. */
export interface EphemeralOpened<B extends Block> {
  result: NoInfer<Partial<ObjectOf<B>>>;
  renewAt?: Date;
  private?: unknown;
}

/** What an ephemeral resource's `renew` returns. */
export interface EphemeralRenewed {
  renewAt?: Date;
  private?: unknown;
}

/** A provider: its configuration schema, how it configures itself, its resources and data sources. */
export interface Provider<B extends Block = Block, P = any> {
  /**
   * The provider's type name (`files` for `files_file`); resource and data
   * source names must start with it and `_`. Also the logger's module.
   */
  readonly name: string;
  readonly schema: B;
  /**
   * Called once per provider process with the provider block's configuration
   * (which may hold unknowns when it refers to other resources); what it
   * returns is `context.provider` of every later call.
   */
  configure?(request: { config: NoInfer<MaybeUnknown<B>>; terraformVersion: string }, context: RequestContext<undefined>): Promise<P> | P;
  validate?(request: { config: NoInfer<MaybeUnknown<B>> }, context: RequestContext<undefined>): Promise<void> | void;
  readonly resources?: Readonly<Record<string, Resource<any, P, any>>>;
  readonly dataSources?: Readonly<Record<string, DataSource<any, P>>>;
  readonly ephemeralResources?: Readonly<Record<string, EphemeralResource<any, P>>>;
  /** Provider-defined functions (`provider::<name>::<function>(…)` in configuration; Terraform ≥ 1.8, OpenTofu ≥ 1.7), by name. */
  readonly functions?: Readonly<Record<string, ProviderFunction<any, any, any>>>;
}

/** Declares a provider (an identity function that keeps the schema's literal types). */
export function defineProvider<const B extends Block, P>(provider: Provider<B, P>): Provider<B, P> {
  return provider;
}

/** Declares a resource type with its config and state typed from `schema`. */
export function defineResource<const B extends Block, P = any, const A extends IdentityAttributes = IdentityAttributes>(
  resource: Resource<B, P, A>,
): Resource<B, P, A> {
  return resource;
}

/** Declares an ephemeral resource type with its config and result typed from `schema`. */
export function defineEphemeralResource<const B extends Block, P = any>(resource: EphemeralResource<B, P>): EphemeralResource<B, P> {
  return resource;
}

/** Declares a data source type with its config and state typed from `schema`. */
export function defineDataSource<const B extends Block, P = any>(dataSource: DataSource<B, P>): DataSource<B, P> {
  return dataSource;
}
