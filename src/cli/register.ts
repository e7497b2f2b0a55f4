/** Imports every subcommand file so that it registers itself. One line per subcommand. */
import './namesrv';
export {};
