// The polkadot.js half of the metadata walk (scripts/e2e/test_metadata.py): a generic client
// that knows nothing of OPG but the runtime's metadata decodes every call, event, error and
// storage item of the named pallets, and says what it made of each.
//
//   node scripts/e2e/metadata_walk.mjs ws://127.0.0.1:9944 ModelRegistry,Attestations,Inference,Nodes,Tee
//
// Prints one JSON object:
// - calls: one per call variant: the call built from default values of its argument types,
//   encoded (`hex`), decoded back (`decoded`: section.method); plus the first extrinsic of the
//   chain calling it, if any (`seen`: block number and the call's bytes, decoded back).
// - events: one per event variant: the first the chain emitted (block, index in the block's
//   events, bytes, fields) or, for a variant no block holds, one built from default field values.
// - errors: one per error variant: its name and documentation as polkadot.js finds them from
//   the (pallet index, error index) pair a failed dispatch carries; plus the errors that failed
//   extrinsics of the chain carried (`seen`).
// - storage: one per storage item: up to three entries read from the chain (raw key, raw value,
//   the value decoded and re-encoded, the key's decoded arguments), or the item's default value
//   from the metadata when the chain holds none.
// Each `roundtrip` is true when polkadot.js re-encoding its decoded value gives the same bytes.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../clients/typescript/package.json", import.meta.url));
const { ApiPromise, WsProvider } = require("@polkadot/api");
const { hexToU8a, u8aConcat, u8aToHex } = require("@polkadot/util");

const [url, palletList] = process.argv.slice(2);
if (!url || !palletList) {
  console.error("usage: node metadata_walk.mjs WS_URL Pallet1,Pallet2,...");
  process.exit(2);
}
const wanted = new Set(palletList.split(","));
const provider = new WsProvider(url);
const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
const { registry } = api;
const lookup = registry.lookup;
const lowerFirst = (name) => name.charAt(0).toLowerCase() + name.slice(1);
const typeName = (id) => registry.createLookupType(id);
// SCALE bytes as hex (`toHex()` is not SCALE for every type: numbers print big-endian).
const scale = (codec) => u8aToHex(codec.toU8a());
const docs = (lines) => lines.map((line) => line.toString().trim()).join(" ").replace(/\s+/g, " ").trim();

const head = (await api.rpc.chain.getHeader()).number.toNumber();
const out = { head, calls: [], events: [], errors: [], storage: [] };

// What the chain did: the first extrinsic calling each OPG call, the first event of each
// variant, and the errors failed extrinsics carried, over every block.
const seenCalls = new Map();
const seenEvents = new Map();
const seenErrors = new Map();
for (let number = 1; number <= head; number++) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const [block, records] = await Promise.all([
    api.rpc.chain.getBlock(hash),
    api.query.system.events.at(hash),
  ]);
  block.block.extrinsics.forEach((extrinsic, index) => {
    const { section, method } = extrinsic.method;
    const key = `${section}.${method}`;
    if (!seenCalls.has(key)) {
      seenCalls.set(key, { block: number, extrinsic: index, hex: extrinsic.method.toHex() });
    }
  });
  records.forEach((record, index) => {
    const { section, method } = record.event;
    const key = `${section}.${method}`;
    if (!seenEvents.has(key)) {
      seenEvents.set(key, {
        block: number, block_hash: hash.toHex(), index, hex: record.event.toHex(),
        fields: record.event.data.toJSON(),
      });
    }
    if (section === "system" && method === "ExtrinsicFailed") {
      const error = record.event.data[0];
      if (error.isModule) {
        const found = registry.findMetaError(error.asModule);
        seenErrors.set(`${found.section}.${found.name}`, { block: number, event: index });
      }
    }
  });
}

for (const pallet of api.runtimeMetadata.asLatest.pallets) {
  const palletName = pallet.name.toString();
  if (!wanted.has(palletName)) continue;
  const section = lowerFirst(palletName);
  const palletIndex = pallet.index.toNumber();

  if (pallet.calls.isSome) {
    for (const variant of lookup.getSiType(pallet.calls.unwrap().type).def.asVariant.variants) {
      const method = variant.name.toString();
      const tx = api.tx[section][lowerFirst(method).replace(/_([a-z])/g, (_, c) => c.toUpperCase())];
      const args = tx.meta.args.map((arg) => api.createType(arg.type.toString()));
      const hex = tx(...args).method.toHex();
      const decoded = api.createType("Call", hexToU8a(hex));
      const entry = {
        pallet: palletName, name: method, index: variant.index.toNumber(), hex,
        decoded: `${decoded.section}.${decoded.method}`, roundtrip: scale(decoded) === hex,
        args: tx.meta.args.map((arg) => arg.name.toString()),
      };
      const seen = seenCalls.get(`${section}.${tx.method}`) ?? seenCalls.get(`${section}.${lowerFirst(method)}`);
      if (seen) {
        const again = api.createType("Call", hexToU8a(seen.hex));
        entry.seen = { ...seen, decoded: `${again.section}.${again.method}`, roundtrip: scale(again) === seen.hex, args: again.toJSON().args };
      }
      out.calls.push(entry);
    }
  }

  if (pallet.events.isSome) {
    for (const variant of lookup.getSiType(pallet.events.unwrap().type).def.asVariant.variants) {
      const name = variant.name.toString();
      const seen = seenEvents.get(`${section}.${name}`);
      let hex = seen?.hex;
      if (!hex) {
        const fields = variant.fields.map((field) => api.createType(typeName(field.type)).toU8a());
        hex = u8aToHex(u8aConcat(new Uint8Array([palletIndex, variant.index.toNumber()]), ...fields));
      }
      const decoded = api.createType("Event", hexToU8a(hex));
      out.events.push({
        pallet: palletName, name, hex, seen: seen ? { block: seen.block, block_hash: seen.block_hash, index: seen.index } : null,
        decoded: `${decoded.section}.${decoded.method}`, roundtrip: scale(decoded) === hex,
        fields: decoded.data.toJSON(),
      });
    }
  }

  if (pallet.errors.isSome) {
    for (const variant of lookup.getSiType(pallet.errors.unwrap().type).def.asVariant.variants) {
      const error = new Uint8Array(4);
      error[0] = variant.index.toNumber();
      const found = registry.findMetaError({ index: api.createType("u8", palletIndex), error: api.createType("[u8; 4]", error) });
      out.errors.push({
        pallet: palletName, pallet_index: palletIndex, index: variant.index.toNumber(),
        name: found.name, section: found.section, docs: docs(found.docs),
        seen: seenErrors.get(`${found.section}.${found.name}`) ?? null,
      });
    }
  }

  if (pallet.storage.isSome) {
    for (const item of pallet.storage.unwrap().items) {
      const name = item.name.toString();
      const query = api.query[section][lowerFirst(name)];
      const valueType = item.type.isPlain ? item.type.asPlain : item.type.asMap.value;
      const prefix = query.keyPrefix();
      const keys = item.type.isPlain ? [query.key()]
        : (await api.rpc.state.getKeysPaged(prefix, 3, prefix)).map((key) => key.toHex());
      const entries = [];
      for (const key of keys) {
        const raw = await provider.send("state_getStorage", [key]);
        if (raw === null) continue;
        const value = api.createType(typeName(valueType), hexToU8a(raw));
        const entry = { key, raw, value: value.toJSON(), roundtrip: scale(value) === raw };
        if (!item.type.isPlain) {
          const decodedKey = api.createType("StorageKey", key);
          decodedKey.setMeta(query.creator.meta, section, query.creator.method);
          entry.args = decodedKey.args.map((arg) => arg.toJSON());
        }
        entries.push(entry);
      }
      const fallback = item.fallback.toHex();
      // An optional item's default is `None`, an Option<value> (its stored values are plain).
      const defaultType = item.modifier.isOptional ? `Option<${typeName(valueType)}>` : typeName(valueType);
      const defaultValue = api.createType(defaultType, hexToU8a(fallback));
      out.storage.push({
        pallet: palletName, name, type_id: valueType.toNumber(), map: !item.type.isPlain,
        entries, optional: item.modifier.isOptional.valueOf(), default: { raw: fallback, value: defaultValue.toJSON(), roundtrip: scale(defaultValue) === fallback },
      });
    }
  }
}

process.stdout.write(JSON.stringify(out));
await api.disconnect();
