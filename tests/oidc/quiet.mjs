// Imported first by provider.mjs: drops oidc-provider's development notices (the in-memory
// adapter, the Node.js version), which every test start would print. Other output stays.
for (const name of ['warn', 'info']) {
  const original = console[name].bind(console);
  console[name] = (first, ...rest) => {
    if (typeof first === 'string' && /oidc-provider (WARNING|NOTICE)/.test(first)) return;
    original(first, ...rest);
  };
}
