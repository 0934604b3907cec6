/** molgrove's version; part of every cache key and model file. Keep in step with package.json. */
export const VERSION = '0.1.0';
