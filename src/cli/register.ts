/** Imports every subcommand file so that it registers itself. One line per subcommand. */
import './namesrv';
import './broker';
import './admin';
import './gateway';
import './dev';
import './console';
export {};
