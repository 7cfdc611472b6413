/**
 * Signing with the polkadot.js browser extension (or any extension that injects itself into
 * `window.injectedWeb3`, such as Talisman or SubWallet). Import from `@opg/client/browser`:
 * this module touches `window` when loaded, so Node programs never import it.
 */

import { web3Accounts, web3Enable, web3FromAddress } from "@polkadot/extension-dapp";

import type { Signer } from "./chain.js";
import { ChainError } from "./errors.js";

/** An account an extension offers. */
export interface ExtensionAccount {
  address: string;
  /** The name the user gave it in the extension. */
  name?: string;
  /** The extension it comes from (`polkadot-js`, `talisman`, …). */
  source: string;
}

/** Whether any extension injected itself into this page (without asking it for anything). */
export function hasExtension(): boolean {
  const injected = (globalThis as { injectedWeb3?: Record<string, unknown> }).injectedWeb3;
  return injected !== undefined && Object.keys(injected).length > 0;
}

/** Asks the extensions for access (the user approves this page once) and returns their
 * accounts; empty when there is no extension or the user refused. */
export async function extensionAccounts(appName = "OPG chain"): Promise<ExtensionAccount[]> {
  if (!hasExtension()) return [];
  const extensions = await web3Enable(appName);
  if (extensions.length === 0) return [];
  return (await web3Accounts()).map((account) => ({ address: account.address, name: account.meta.name, source: account.meta.source }));
}

/** The signer of an extension account (`extensionAccounts` first): the extension asks the user
 * to approve each transaction. */
export async function extensionSigner(address: string): Promise<Signer> {
  try {
    const injector = await web3FromAddress(address);
    return { address, signer: injector.signer };
  } catch (error) {
    throw new ChainError(`no extension holds ${address}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
