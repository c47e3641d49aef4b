/**
 * Test helper: a real driver whose namespace stores have some methods replaced, to inject storage
 * faults or hold a read at a chosen moment (everything else is the real store).
 *
 * @module
 */
import type { NamespaceStore, StorageDriver } from "../storage/driver.js";

/** Replacement methods for a store; each gets the real store to delegate to. */
export type StoreOverrides = {
  [K in keyof NamespaceStore]?: NamespaceStore[K] extends (...args: infer A) => infer R
    ? (real: NamespaceStore, ...args: A) => R
    : never;
};

/** Makes `driver.openNamespace` return stores with `overrides` in place (the driver itself is changed). */
export function overrideStores<D extends StorageDriver>(driver: D, overrides: StoreOverrides): D {
  const openNamespace = driver.openNamespace.bind(driver);
  driver.openNamespace = async (name) => {
    const store = await openNamespace(name);
    return new Proxy(store, {
      get(target, key) {
        const override = overrides[key as keyof NamespaceStore] as
          | ((real: NamespaceStore, ...args: unknown[]) => unknown)
          | undefined;
        if (override) return (...args: unknown[]) => override(target, ...args);
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return driver;
}
