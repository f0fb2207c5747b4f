// The dashboard extends the monorepo's flat config: same type-checked rules, plus browser globals for .tsx.
import globals from 'globals';
import root from '../../eslint.config.js';

export default [
  ...root,
  {
    files: ['**/*.tsx', 'components/**/*.ts', 'lib/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
];
